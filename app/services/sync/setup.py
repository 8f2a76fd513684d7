"""Wiring of the sync engine into the app: job kinds (the dashboard snapshots' too), the runner and scheduler
threads (started lazily in serving workers, never in the Gunicorn master or when a command merely builds the
app), the first snapshot build, the `scheduler` health check and the /api/metrics "sync" section."""
from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from app.services import jobs, snapshots
from app.services.jobs.store import utcnow
from app.services.sync.scheduler import Scheduler, overdue, schedule_status, schedules_from_settings
from config.current import get_settings

log = logging.getLogger(__name__)
EXTENSION_KEY = "sync"
_start_lock = threading.Lock()


def init_app(app: Flask) -> None:
    """Register the job kinds, health check and metrics section; start the threads when serving."""
    from app.services.health import register_check
    from app.services.jobs.retention import KIND as PRUNE_KIND
    from app.services.jobs.retention import run_prune_job
    from app.services.metrics_summary import register_section
    from app.services.sync.metrics import sync_section
    from app.services.sync.prices import run_price_job
    from app.services.sync.reconcile import run_acknowledge_job
    from app.services.sync.stocks import run_stock_job

    settings = get_settings(app)
    jobs.init_app(app)
    jobs.register_kind(app, "prices", run_price_job)
    jobs.register_kind(app, "stocks", run_stock_job)
    jobs.register_kind(app, "stocks.acknowledge", run_acknowledge_job)
    snapshots.init_app(app)  # the dashboard snapshot job kind and its stores
    jobs.register_kind(app, PRUNE_KIND, run_prune_job, max_attempts=1)
    app.extensions[EXTENSION_KEY] = {"schedules": schedules_from_settings(settings),
                                     "tz": ZoneInfo(settings.sync.timezone), "scheduler": None, "pid": None}
    register_check(app, "scheduler", _check, critical=False, component_type="component")
    register_section(app, "sync", lambda data: sync_section(data, _schedule_table(current_app)))
    if settings.sync.runner_enabled:
        # Lazily, in the process that serves: the first request of a worker (after fork) starts them...
        app.before_request(lambda: start_background(current_app._get_current_object()))
        if _serving_worker():  # ...and a Gunicorn worker starts them at once, requests or not
            start_background(app)


def _serving_worker() -> bool:
    """True in a Gunicorn worker (the app is built after fork there: preload_app is off)."""
    return "gunicorn" in os.path.basename(sys.argv[0]) or "gunicorn" in sys.argv[0].split(os.sep)


def start_background(app: Flask) -> None:
    """Start this process's runner claim loop and (if enabled) scheduler thread; idempotent, fork-aware."""
    ext = app.extensions[EXTENSION_KEY]
    if ext["pid"] == os.getpid():
        return
    with _start_lock:
        if ext["pid"] == os.getpid():
            return
        runner = jobs.get_runner(app)
        runner.start()
        settings = get_settings(app)
        if settings.sync.scheduler_enabled and ext["schedules"]:
            ext["scheduler"] = make_scheduler(app, owner=runner.owner, on_fire=runner.wake)
            ext["scheduler"].start()
        ext["pid"] = os.getpid()
        log.info("sync runner started (owner %s, scheduler %s)", runner.owner, bool(ext["scheduler"]))
    snapshots.ensure_initial(app)  # outside the start lock: it reads the app database


def make_scheduler(app: Flask, *, owner: str, on_fire: Any = None, clock: Any = None) -> Scheduler:
    settings = get_settings(app)
    ext = app.extensions[EXTENSION_KEY]
    return Scheduler(app.extensions["app_db"], ext["schedules"], tz=ext["tz"], grace=settings.sync.schedule_grace,
                     tick=settings.sync.scheduler_tick, owner=owner, max_attempts=settings.sync.max_attempts,
                     on_fire=on_fire, **({"clock": clock} if clock else {}))


def _schedule_table(app: Flask) -> list[dict[str, Any]]:
    ext = app.extensions[EXTENSION_KEY]
    try:
        return schedule_status(app.extensions["app_db"], ext["schedules"], ext["tz"])
    except Exception as exc:  # noqa: BLE001 - metrics must answer even with the app database down
        return [{"error": f"{type(exc).__name__}: {exc}"}]


def _check():
    from app.services.health import CheckResult

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = get_settings(app)
    ext = app.extensions[EXTENSION_KEY]
    if not ext["schedules"]:
        return CheckResult("pass", 0, "schedules", "no schedule configured")
    table = schedule_status(app.extensions["app_db"], ext["schedules"], ext["tz"])
    nxt = min(entry["nextRun"] for entry in table)
    scheduler: Scheduler | None = ext["scheduler"]
    details = {"schedules": table, "inProcess": bool(scheduler and scheduler.alive)}
    late = overdue(table, utcnow(), settings.sync.schedule_grace, slack=3 * settings.sync.scheduler_tick + 5)
    if scheduler is not None and not scheduler.alive and ext["pid"] == os.getpid():
        return CheckResult("warn", len(table), "schedules", "the scheduler thread of this worker stopped",
                           details)
    if late:
        return CheckResult("warn", len(table), "schedules",
                           f"due runs not fired: {', '.join(late)} (no scheduler running?)", details)
    return CheckResult("pass", len(table), "schedules", f"next run {nxt}", details)
