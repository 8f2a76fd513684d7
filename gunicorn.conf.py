"""Gunicorn settings and hooks: what PM2's ecosystem file did for the Node backend.

- workers from the cgroup-aware core count and the image pool size (WEB_CONCURRENCY overrides);
- gthread workers, so a worker waiting on Magento or SQL still serves probes and grids;
- memory recycling: after each request and every few seconds while idle, the worker plus its pool is
  measured (USS) and a worker over MAX_WORKER_MEMORY finishes its requests and exits (logged, counted);
- max_requests with jitter; graceful HUP reload (app code reloads: no preload_app);
- Prometheus multiprocess files: directory set before prometheus_client loads, wiped at a cold start
  but not on a USR2 re-exec, dead workers archived so the file count stays bounded;
- each worker's image pool stopped on exit and abort so no pool process outlives its worker, and its
  forkserver started immune to a process-group SIGTERM, so a stop after image work is quick and clean;
- pid file and control socket under RUN_DIR, so several instances can share a host.
"""
import gc
import os
import signal
import sys
import threading
import time

from config import ConfigError, load_settings

try:
    _settings = load_settings()
except ConfigError as exc:  # refuse to start, naming every bad setting
    sys.stderr.write(f"{exc}\n")
    sys.exit(2)

# Must happen before anything imports prometheus_client (the master and every worker inherit it).
_metrics_dir = _settings.server.prometheus_multiproc_dir or os.path.join(_settings.server.run_dir, "metrics")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir
os.makedirs(_metrics_dir, exist_ok=True)
os.makedirs(_settings.server.run_dir, exist_ok=True)

from app.metric_files import mark_process_dead, reset_multiproc_dir  # noqa: E402
from app.procinfo import (  # noqa: E402
    cgroup_cpu_count,
    default_worker_count,
    open_statm,
    statm_rss,
    tree_rss,
    tree_uss,
)

wsgi_app = "app:create_app()"
# Recycling is spread over a tenth of MAX_REQUESTS, so workers started together do not all restart together.
MAX_REQUESTS_JITTER_DIVISOR = 10
bind = [f"{_settings.server.host}:{_settings.server.port}"]
workers = _settings.server.web_concurrency or default_worker_count(cgroup_cpu_count())
worker_class = "gthread"
threads = _settings.server.threads
timeout = _settings.server.timeout
graceful_timeout = _settings.server.graceful_timeout
keepalive = 5
# Gunicorn's own 414/431 are HTML: its limits sit above the app's (app/middleware.py REQUEST_LINE_LIMIT,
# HEADER_FIELD_LIMIT), so a request between the two gets the app's JSON envelope; beyond them, Gunicorn's
# HTML answer (documented as such in the OpenAPI document).
limit_request_line = 8190  # Gunicorn's maximum
limit_request_field_size = 16380
max_requests = _settings.server.max_requests
max_requests_jitter = _settings.server.max_requests // MAX_REQUESTS_JITTER_DIVISOR
preload_app = False  # HUP must reload app code; the image pool must never exist in the master
pidfile = os.path.join(_settings.server.run_dir, "gunicorn.pid")
# Per instance, like the pid file: Gunicorn's default (~/.gunicorn/gunicorn.ctl) is shared by every
# instance of the host, and only the last master started could be reached through it.
control_socket = os.path.join(_settings.server.run_dir, "gunicorn.ctl")
proc_name = "techno-etl"
accesslog = None  # the app writes JSON access lines with the request id
errorlog = "-"
# Gunicorn's own DEBUG dumps its whole configuration at start: INFO is enough for the server itself.
loglevel = "info" if _settings.logging.level == "DEBUG" else _settings.logging.level.lower()
reload = _settings.env == "development" and os.environ.get("GUNICORN_RELOAD", "") == "1"
raw_env = [f"APP_ENV={_settings.env}"]


# Third-party libraries every worker imports at start, imported once by the master: their pages are then
# shared copy-on-write by every worker instead of private to each (a worker's USS falls by about half;
# docs/benchmarks.md "Idle memory"). Libraries only: the project's own code is still imported by each
# worker (post_fork), so a HUP reloads it. None of these starts a thread or opens a connection at import.
SHARED_LIBRARIES = (
    "flask", "werkzeug", "jinja2", "click", "itsdangerous", "flask_smorest", "marshmallow", "webargs", "apispec",
    "flask_talisman", "flask_cors", "flask_compress", "flask_caching", "prometheus_flask_exporter",
    "sqlalchemy", "sqlalchemy.dialects.sqlite", "sqlalchemy.orm", "alembic.command", "alembic.config",
    "redis", "limits", "limits.storage", "limits.strategies", "httpx", "jwt", "jwt.algorithms",
    "pythonjsonlogger.json", "orjson", "croniter", "PIL.Image", "psutil", "yaml",
)


def _share_libraries(server):
    import importlib

    for name in SHARED_LIBRARIES:
        try:
            importlib.import_module(name)
        except ImportError as exc:  # an optional one missing costs memory, not correctness
            server.log.warning("techno-etl: %s not preloaded: %s", name, exc)
    # Keep the collector off these objects in every worker: a collection would write to their pages
    # and un-share them.
    gc.freeze()


def on_starting(server):
    # Marks this process as the master: workers.pool refuses to start an image pool here.
    os.environ["TECHNO_ETL_MASTER_PID"] = str(os.getpid())
    _share_libraries(server)
    # A USR2 re-exec starts a new master while the old workers still write their files: keep them.
    if not os.environ.get("GUNICORN_PID"):
        reset_multiproc_dir(_metrics_dir)
    os.environ.setdefault("TECHNO_ETL_STARTED_AT", str(time.time()))
    if _settings.logging.files:
        from app.logging import prune_old_logs
        removed = prune_old_logs(_settings.logging.dir, _settings.logging.retention_days)
        if removed:
            server.log.info("removed %d log files older than %d days", removed, _settings.logging.retention_days)
    server.log.info("techno-etl: %d %s workers x %d threads, recycle above %d MiB",
                    workers, worker_class, threads, _settings.server.max_worker_memory // 1024 ** 2)


def on_reload(server):
    server.log.info("techno-etl: HUP received, replacing workers gracefully")


def post_fork(server, worker):
    # Project code the master imported (settings, metric-file helpers) is re-imported by the worker,
    # so a HUP picks up changes everywhere.
    for name in [n for n in sys.modules if n.split(".")[0] in ("config", "app")]:
        del sys.modules[name]


def post_worker_init(worker):
    from app import lifecycle
    from app.telemetry import WORKER_MEMORY_LIMIT, WORKER_STARTED

    WORKER_STARTED.set(time.time())
    WORKER_MEMORY_LIMIT.set(_settings.server.max_worker_memory)
    previous = signal.getsignal(signal.SIGTERM)

    def drain_then_stop(signum, frame):
        lifecycle.mark_draining()  # readiness now answers 503
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, drain_then_stop)
    # The image pool's forkserver starts with the pool, on a worker's first image (workers/pool.py).
    worker._memory_guard = _MemoryGuard(worker)
    threading.Thread(target=worker._memory_guard.idle_loop, name="memory-guard", daemon=True).start()
    lifecycle.mark_ready()


def post_request(worker, req, environ, resp):
    guard = getattr(worker, "_memory_guard", None)
    if guard is not None:
        guard.check(precise=False)


def worker_exit(server, worker):
    _count_exit_reason(worker)
    _stop_image_pool()
    # The interpreter's last garbage collection walks the whole heap of a worker that loaded the app:
    # seconds on a busy host, during which the master waits. Nothing left needs it (multiprocessing's
    # and the app's clean-ups run as explicit exit handlers), so everything alive now is frozen out of it.
    gc.freeze()


def worker_abort(worker):
    # Runs inside the SIGABRT handler: kill the pool without taking locks.
    _count_exit_reason(worker, "timeout")
    _stop_image_pool(abort=True)


def child_exit(server, worker):
    mark_process_dead(worker.pid)


def _stop_image_pool(abort=False):
    module = sys.modules.get("workers.pool")
    if module is not None:  # only if this worker ever started a pool
        module.shutdown_image_pool(abort=abort)


def _count_exit_reason(worker, reason=None):
    if reason is None:
        guard = getattr(worker, "_memory_guard", None)
        if guard is not None and guard.tripped:
            return  # already counted as "memory"
        reason = "max_requests" if worker.max_requests and worker.nr >= worker.max_requests else "stop"
    try:
        from app.telemetry import WORKER_RECYCLES

        WORKER_RECYCLES.labels(reason).inc()
    except (ImportError, OSError) as exc:  # app not importable, or its metric files gone: the exit goes on
        worker.log.warning("worker exit (%s) not counted: %s", reason, exc)


# Seconds between two precise memory checks triggered by requests (the idle loop keeps its own interval).
PRECISE_CHECK_SPACING = 1.0


class _MemoryGuard:
    """PM2's max_memory_restart: recycle a worker whose tree (worker + pool) grows past the limit."""

    def __init__(self, worker):
        import psutil

        self.worker = worker
        self.limit = _settings.server.max_worker_memory
        self.interval = _settings.server.memory_check_interval
        self.proc = psutil.Process()
        self.statm = open_statm()  # this worker's RSS per request without psutil's per-call overhead
        # The pool's processes as of the last precise check. Listing children reads every /proc/<pid>/stat
        # of the host (2 ms with 80 processes here, proportionally more on a busy host) and holds the GIL
        # meanwhile, so it runs in the precise check only (idle loop, or past the cheap bound), never per
        # request. Pool processes started since are counted from the next check, `interval` s later at most.
        self.children = []
        self.precise_at = float("-inf")
        self.tripped = False
        self.lock = threading.Lock()

    def check(self, precise):
        if self.tripped:
            return
        if not precise:
            # RSS is cheap but overcounts shared pages: past the limit, confirm with USS before recycling,
            # at most once a second from requests (a worker whose RSS sits above the limit while its USS
            # does not would otherwise pay the precise check on every request).
            own = statm_rss(self.statm) if self.statm is not None else None
            if (tree_rss(self.proc, self.children, own) <= self.limit
                    or time.monotonic() - self.precise_at < PRECISE_CHECK_SPACING):
                return
        with self.lock:
            self.precise_at = time.monotonic()
            self.children = self.proc.children(recursive=True)
            used = tree_uss(self.proc.pid, self.children)
            from app.telemetry import WORKER_MEMORY

            WORKER_MEMORY.set(used)  # for the "near the recycle limit" alert
            if used > self.limit and not self.tripped:
                self.tripped = True
                self.worker.log.warning("worker %s uses %d MiB (worker + pool) > limit %d MiB: recycling",
                                        self.proc.pid, used // 1024 ** 2, self.limit // 1024 ** 2)
                from app.telemetry import WORKER_RECYCLES

                WORKER_RECYCLES.labels("memory").inc()
                self.worker.alive = False  # finish in-flight requests, then exit

    def idle_loop(self):
        while self.worker.alive and not self.tripped:
            time.sleep(self.interval)
            try:
                self.check(precise=True)
            except Exception as exc:  # the guard must never kill the worker by itself
                self.worker.log.warning("memory guard check failed: %s", exc)
