"""The image process pool owned by one Gunicorn worker: lazy start, per-task timeout, recycling, stop.

Why forkserver (not spawn, never fork): a Gunicorn worker may run threads (gthread), and forking a
threaded process can deadlock in the child; forkserver forks children from a clean single-threaded
server that has already imported Pillow and the operations (`workers.tasks`), so a child starts in
milliseconds. That matters because children are replaced often: after `maxtasksperchild` tasks and
after every timeout. Spawn would pay a full interpreter start and imports (about 0.5 s) each time.

Admission: a task first takes one of `size` slots (a free pool process), so the task timeout starts
when a process picks the task up, never while it waits. Image requests hold one of `max_admitted`
places for their whole duration (`ImagePool.admission`): the rest get 503 `image_queue_full` at once,
so image requests never hold every thread of a Gunicorn worker. A timed-out task's own process is
killed (the pool replaces it); the other tasks keep running.

A pool is never created in the Gunicorn master (it would not survive the fork: its handler threads
are gone in the workers). Children die with their worker even on SIGKILL (see workers.tasks).
"""
from __future__ import annotations

import atexit
import contextlib
import logging
import math
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from multiprocessing.pool import AsyncResult, Pool
from multiprocessing.sharedctypes import SynchronizedArray
from typing import Any, TypeVar

from app import telemetry
from app.errors import AppError, DependencyUnavailable, UpstreamTimeout
from app.imaging.limits import DEFAULT_LIMITS, ImageLimits
from app.imaging.operations import ImageResult
from app.imaging.watermark import Watermark
from workers import tasks

log = logging.getLogger(__name__)
T = TypeVar("T")

MASTER_PID_ENV = "TECHNO_ETL_MASTER_PID"
DEFAULT_TASK_TIMEOUT = 20.0  # seconds; keep below Gunicorn's worker timeout
DEFAULT_MAXTASKSPERCHILD = 200  # bounds slow leaks and fragmentation in long-lived children
DEFAULT_MEMORY_LIMIT = 1024 * 1024 * 1024  # address-space cap per child (RLIMIT_AS)
_WAIT_SLICE = 0.2  # how often a waiter notices that its pool was recycled under it

TASKS = telemetry.counter("images_tasks_total", "Image pool tasks by operation and outcome.",
                          ("op", "outcome"))
DURATION = telemetry.histogram("images_task_duration_seconds",
                               "Image task time from dispatch to result (queue wait excluded).", ("op",))
QUEUE_DEPTH = telemetry.gauge("images_pool_queue_depth", "Image tasks waiting for a free pool process.")
BUSY = telemetry.gauge("images_pool_busy", "Pool processes running an image task.")
CHILD_PEAK_RSS = telemetry.gauge("images_pool_child_peak_rss_bytes",
                                 "Largest peak resident memory reported by a pool process.", mode="livemax")


class ImageTaskTimeout(UpstreamTimeout):
    """An image task ran past its timeout; its pool was recycled."""

    code = "image_task_timeout"


class ImageQueueFull(DependencyUnavailable):
    """No room in this worker's image queue (or no process freed up in time); retry later."""

    code = "image_queue_full"


class ImagePoolRestarted(DependencyUnavailable):
    """The task was lost because its pool was recycled (no process picked a task up); retry."""

    code = "image_pool_restarted"


def default_pool_size(cpu_count: int | None, web_workers: int) -> int:
    """Processes per worker so that web_workers x (1 + size) fits the cores (at least 1)."""
    return max(1, (cpu_count or 1) // max(1, web_workers) - 1)


def default_max_admitted(size: int, queue_size: int, threads: int) -> int:
    """Image requests admitted per worker: pool size + queue, but always below the worker's threads."""
    return max(1, min(size + queue_size, threads - 1))


def in_master() -> bool:
    """True in the Gunicorn master, which gunicorn.conf.py marks with MASTER_PID_ENV: no pool there, ever."""
    return os.environ.get(MASTER_PID_ENV) == str(os.getpid())


class ImagePool:
    """A multiprocessing pool with admission, per-task timeouts, recycling and stats; thread-safe; lazy."""

    def __init__(self, size: int, *, task_timeout: float = DEFAULT_TASK_TIMEOUT,
                 maxtasksperchild: int | None = DEFAULT_MAXTASKSPERCHILD,
                 start_method: str = "forkserver",
                 memory_limit_bytes: int | None = DEFAULT_MEMORY_LIMIT,
                 max_admitted: int | None = None, queue_wait: float | None = None) -> None:
        if size < 1:
            raise ValueError("pool size must be >= 1")
        if start_method not in ("forkserver", "spawn"):
            raise ValueError("start_method must be forkserver or spawn (fork is unsafe in threaded workers)")
        self.size = size
        self.task_timeout = task_timeout
        self.maxtasksperchild = maxtasksperchild
        self.start_method = start_method
        self.memory_limit_bytes = memory_limit_bytes
        self.max_admitted = max_admitted or 2 * size
        self.queue_wait = task_timeout if queue_wait is None else queue_wait
        self._ctx = multiprocessing.get_context(start_method)
        self._lock = threading.Lock()
        self._slot_freed = threading.Condition(self._lock)
        self._free_slots = list(range(size))
        self._pool: Pool | None = None
        # Shared array: slot -> pid of the process running its task (0 = none).
        self._running: SynchronizedArray[int] | None = None
        self._owner_pid = os.getpid()
        self._generation = 0
        self._admitted = self._waiting = self._busy = 0
        self._done = self._failed = self._timeouts = self._recycles = self._refused = 0
        self._duration_sum = self._duration_max = 0.0
        self._peak_child_rss = 0
        self._started_at: float | None = None

    # lifecycle -----------------------------------------------------------------------------------

    def _ensure_started(self) -> tuple[Pool, SynchronizedArray[int], int]:
        if in_master():
            raise RuntimeError("The image pool must not be created in the Gunicorn master; "
                               "it is started lazily in each worker.")
        with self._lock:
            if self._pool is not None and self._owner_pid != os.getpid():
                # Inherited through fork: its handler threads do not exist here. Leave it to its owner.
                self._pool = None
            if self._pool is None:
                if self.start_method == "forkserver":
                    start_forkserver()  # on first use: a worker that never resizes an image never pays for it
                self._owner_pid = os.getpid()
                self._running = self._ctx.Array("q", self.size)  # inherited by the children (initargs)
                self._pool = self._ctx.Pool(
                    self.size, initializer=tasks.init_child,
                    initargs=(self._owner_pid, self.memory_limit_bytes, self._running),
                    maxtasksperchild=self.maxtasksperchild)
                self._started_at = time.time()
                log.info("image pool started", extra={"size": self.size, "generation": self._generation})
            assert self._running is not None  # created with the pool, never cleared
            return self._pool, self._running, self._generation

    def _recycle(self, generation: int, reason: str) -> None:
        """Replace the pool once per generation; the next task starts a fresh one."""
        with self._lock:
            if generation != self._generation or self._pool is None:
                return  # someone else already recycled it
            pool, self._pool = self._pool, None
            self._generation += 1
            self._recycles += 1
        log.warning("image pool recycled", extra={"reason": reason, "generation": generation})
        pool.terminate()  # SIGTERM to every child: a stuck decoder cannot leak a process
        pool.join()

    def stop(self) -> None:
        """Terminate and join the children (worker exit, atexit). A later task starts a new pool."""
        with self._lock:
            pool, self._pool = self._pool, None
            self._generation += 1
            owned = self._owner_pid == os.getpid()
        if pool is not None and owned:
            pool.terminate()
            pool.join()

    def kill(self) -> None:
        """SIGKILL the children without taking any lock (worker_abort runs inside a signal handler)."""
        for pid in self.child_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def child_pids(self) -> list[int]:
        pool = self._pool
        # Pool keeps its Process objects in the private `_pool` list; there is no public accessor.
        return [p.pid for p in list(getattr(pool, "_pool", None) or []) if p.pid] if pool else []

    # admission -----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def admission(self, op: str = "request") -> Iterator[None]:
        """Hold one of `max_admitted` request places for the whole request; ImageQueueFull (503) at once if none.

        Wrapped around an image request before its body is read, so refused requests cost nothing
        and image requests never hold every thread of the worker (probes and grids keep answering).
        """
        with self._lock:
            admitted = self._admitted < self.max_admitted
            if admitted:
                self._admitted += 1
            else:
                self._refused += 1
        if not admitted:
            TASKS.labels(op=op, outcome=ImageQueueFull.code).inc()
            raise ImageQueueFull("image_pool", f"This worker already handles {self.max_admitted} image requests; "
                                 "retry shortly.", headers={"Retry-After": "2"})
        try:
            yield
        finally:
            with self._lock:
                self._admitted -= 1

    def _take_slot(self, op: str, wait: float | None = None) -> int:
        """Wait (at most `wait`, default queue_wait; None = no bound) for a free process; ImageQueueFull after."""
        wait = self.queue_wait if wait is None else wait
        deadline = time.monotonic() + wait
        with self._slot_freed:
            self._waiting += 1
            QUEUE_DEPTH.inc()
            try:
                while not self._free_slots:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        self._refused += 1
                        TASKS.labels(op=op, outcome=ImageQueueFull.code).inc()
                        raise ImageQueueFull("image_pool", f"No image process freed up within {wait:g} s;"
                                             " retry shortly.", headers={"Retry-After": "5"})
                    self._slot_freed.wait(None if math.isinf(remaining) else remaining)
                self._busy += 1
                return self._free_slots.pop()
            finally:
                self._waiting -= 1
                QUEUE_DEPTH.dec()

    def _give_slot(self, slot: int) -> None:
        with self._slot_freed:
            self._busy -= 1
            self._free_slots.append(slot)
            self._slot_freed.notify()

    # tasks ---------------------------------------------------------------------------------------

    def run(self, fn: Callable[..., tuple[T, tasks.TaskStats]], *args: Any, op: str,
            timeout: float | None = None, queue_wait: float | None = None) -> T:
        """Run a workers.tasks function in a child and return its value.

        Waits for a free process first (at most `queue_wait`, default the pool's; background callers
        such as batch jobs pass math.inf); the timeout counts from the moment a process starts the task.
        Raises whatever typed error the task raised, ImageQueueFull (503) when no process frees up
        within `queue_wait`, ImageTaskTimeout (504) after `timeout` (only that task's process is
        killed), ImagePoolRestarted (503) when the pool was recycled under this task.
        """
        timeout = self.task_timeout if timeout is None else timeout
        slot = self._take_slot(op, queue_wait)
        try:
            return self._run_in_slot(slot, fn, args, op, timeout)
        finally:
            self._give_slot(slot)

    def _run_in_slot(self, slot: int, fn: Callable[..., tuple[T, tasks.TaskStats]], args: tuple[Any, ...], op: str,
                     timeout: float) -> T:
        pool, running, generation = self._ensure_started()
        outcome = "ok"
        BUSY.inc()
        started = time.perf_counter()
        try:
            try:
                pending: AsyncResult[tuple[T, tasks.TaskStats]] = pool.apply_async(tasks.run_in_slot,
                                                                                   (slot, fn, *args))
            except ValueError as exc:  # "Pool not running": recycled between the two lines above
                raise ImagePoolRestarted("image_pool", "The image pool restarted; retry.",
                                         headers={"Retry-After": "1"}) from exc
            value, stats = self._wait(pool, pending, running, slot, generation, timeout, op)
            self._peak_child_rss = max(self._peak_child_rss, stats.peak_rss_bytes)
            CHILD_PEAK_RSS.set(self._peak_child_rss)
            return value
        except AppError as exc:
            outcome = exc.code
            raise
        except Exception:
            outcome = "error"
            raise
        finally:
            BUSY.dec()
            self._record(op, outcome, time.perf_counter() - started)

    def _wait(self, pool: Pool, pending: AsyncResult[tuple[T, tasks.TaskStats]], running: SynchronizedArray[int],
              slot: int, generation: int, timeout: float, op: str) -> tuple[T, tasks.TaskStats]:
        submitted = time.monotonic()
        # A free process takes the task at once; a slow pick-up means the pool itself is broken.
        pickup_deadline = submitted + max(timeout, 5.0)
        deadline: float | None = None
        while True:
            pending.wait(_WAIT_SLICE if deadline is not None else 0.02)
            if pending.ready():
                return pending.get()  # re-raises the child's exception here
            if self._generation != generation:
                raise ImagePoolRestarted("image_pool", "The image pool restarted; retry.",
                                         headers={"Retry-After": "1"})
            now = time.monotonic()
            if deadline is None:
                if running[slot] > 0:
                    deadline = now + timeout  # the clock starts when a process has picked the task up
                elif now > pickup_deadline:
                    self._timeouts += 1
                    self._recycle(generation, reason=f"no pool process picked up a {op} task")
                    raise ImageTaskTimeout("image_pool", "No image process picked up the task.")
            elif now > deadline:
                self._timeouts += 1
                pid = self._kill_task(pool, pending, running, slot)
                log.warning("image task exceeded its timeout; its process was killed",
                            extra={"op": op, "timeout": timeout, "child_pid": pid})
                raise ImageTaskTimeout("image_pool", f"The image task took longer than {timeout:g} s.")

    @staticmethod
    def _kill_task(pool: Pool, pending: AsyncResult[Any], running: SynchronizedArray[int], slot: int) -> int | None:
        """SIGKILL the process running this slot's task, unless it has just finished it.

        The check and the kill happen under the array's lock, which the child also takes to mark its
        task done: an idle child (which holds the pool's queue lock while it waits for work) is never
        killed, so the pool's queues stay usable and the pool replaces the dead process by itself.
        """
        with running.get_lock():
            pid = running[slot]
            if pid > 0:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            running[slot] = 0
        # The pool never hears back about a killed task: drop its pending result (private cache) so it
        # neither leaks nor keeps a later close()/join() waiting.
        getattr(pool, "_cache", {}).pop(getattr(pending, "_job", None), None)
        return pid if pid > 0 else None

    def _record(self, op: str, outcome: str, seconds: float) -> None:
        with self._lock:
            if outcome == "ok":
                self._done += 1
            else:
                self._failed += 1
            self._duration_sum += seconds
            self._duration_max = max(self._duration_max, seconds)
        TASKS.labels(op=op, outcome=outcome).inc()
        DURATION.labels(op=op).observe(seconds)

    def process(self, data: bytes, operations: Iterable[Mapping[str, Any]], *,
                watermark: Watermark | None = None, limits: ImageLimits = DEFAULT_LIMITS,
                timeout: float | None = None, queue_wait: float | None = None) -> ImageResult:
        """Run image operations in a child (see app.imaging.operations.process)."""
        operations = [dict(o) for o in operations]
        names = {str(o.get("op")) for o in operations}
        op = names.pop() if len(names) == 1 else "multi"
        return self.run(tasks.process_image, data, operations, watermark, limits, op=op, timeout=timeout,
                        queue_wait=queue_wait)

    def stats(self) -> dict[str, Any]:
        """Snapshot for detailed health and the metrics summary."""
        with self._lock:
            finished = self._done + self._failed
            return {
                "size": self.size, "started": self._pool is not None, "startMethod": self.start_method,
                "busy": self._busy, "queued": self._waiting, "maxAdmitted": self.max_admitted,
                "refused": self._refused,
                "tasksDone": self._done, "tasksFailed": self._failed, "timeouts": self._timeouts,
                "recycles": self._recycles, "taskTimeoutSeconds": self.task_timeout,
                "maxTasksPerChild": self.maxtasksperchild,
                "durationSeconds": {"count": finished, "sum": round(self._duration_sum, 4),
                                    "avg": round(self._duration_sum / finished, 4) if finished else None,
                                    "max": round(self._duration_max, 4)},
                "peakChildRssBytes": self._peak_child_rss or None,
                "children": self.child_pids(),
            }


# The process-wide pool --------------------------------------------------------------------------

_options: dict[str, Any] = {}
_instance: ImagePool | None = None
_instance_lock = threading.Lock()
_shut_down = False


def configure_image_pool(*, size: int | None = None, task_timeout: float | None = None,
                         maxtasksperchild: int | None = None, memory_limit_bytes: int | None = None,
                         web_workers: int | None = None, queue_size: int | None = None,
                         threads: int | None = None) -> None:
    """Set the options the lazy pool is built with (from settings, in the images init_app).

    `queue_size` request tasks may wait for a process beyond the `size` running ones (0/None: as many
    as the worker's `threads` allow); admitted requests always stay below `threads`.
    """
    if size is None or size <= 0:  # web_workers: the WEB_CONCURRENCY setting (settings.server.web_concurrency)
        size = default_pool_size(os.cpu_count(), web_workers or 1)
    _options.update(size=size)
    if threads:
        queue = queue_size if queue_size else max(0, threads - 1 - size)
        _options["max_admitted"] = default_max_admitted(size, queue, threads)
    if task_timeout:
        _options["task_timeout"] = task_timeout
    if maxtasksperchild:
        _options["maxtasksperchild"] = maxtasksperchild
    if memory_limit_bytes is not None:
        _options["memory_limit_bytes"] = memory_limit_bytes or None


def get_image_pool() -> ImagePool:
    """This process's pool, created on first call (never in the Gunicorn master)."""
    global _instance
    if _shut_down:
        raise DependencyUnavailable("image_pool", "The image pool is shut down (worker exiting).")
    with _instance_lock:
        if _instance is None or _instance._owner_pid != os.getpid():
            options = dict(_options)
            size = options.pop("size", None) or default_pool_size(os.cpu_count(), 1)  # never configured
            _instance = ImagePool(size, **options)
            atexit.register(shutdown_image_pool)
        return _instance


def start_forkserver() -> None:
    """Start this process's forkserver if it is not running, immune to SIGTERM and SIGINT.

    The pool starts it on a worker's first image, from a request thread: the server makes itself
    immune as it starts (workers/forkserver_setup.py, first in its preload list); until then the
    signals are blocked in the starting thread's mask, which the server inherits. Its children
    restore the default handlers (workers.tasks.init_child).
    """
    if in_master():
        return
    multiprocessing.get_context("forkserver").set_forkserver_preload(["workers.forkserver_setup", "workers.tasks"])
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, (signal.SIGTERM, signal.SIGINT))
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def peek_image_pool() -> ImagePool | None:
    """The pool if this process has one (health checks must not start it)."""
    return _instance if _instance is not None and _instance._owner_pid == os.getpid() else None


def shutdown_image_pool(abort: bool = False) -> None:
    """Stop this process's pool and its forkserver; for worker_exit, worker_abort (abort=True), atexit."""
    global _shut_down
    _shut_down = True
    pool = peek_image_pool()
    if pool is None:
        return
    if abort:
        pool.kill()  # no locks: we may be inside a signal handler
        return
    pool.stop()
    # The forkserver would exit by itself with the worker; stopping it here (a private helper, the
    # only way) makes "no pool process outlives stop" checkable. multiprocessing's resource tracker
    # is left alone: it must outlive the pool's semaphores, and it exits with the worker.
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    if server is not None and getattr(server, "_forkserver_pid", None) and hasattr(server, "_stop"):
        server._stop()


def reset_for_tests() -> None:
    """Forget the process-wide pool and the shut-down flag (tests only)."""
    global _instance, _shut_down
    if _instance is not None:
        _instance.stop()
    _instance, _shut_down = None, False
    _options.clear()
