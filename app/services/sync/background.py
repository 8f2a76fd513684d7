"""The sync engine's service object and its wiring: job kinds (the dashboard snapshots' too), the runner and
scheduler threads (started lazily in serving workers, never in the Gunicorn master or when a command merely
builds the app), the first snapshot build, the `scheduler` health check and the /api/metrics "sync" section."""
from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from sqlalchemy import Engine

from app.services import snapshots
from app.services.jobs import JobQueue, kinds
from app.services.jobs.store import utcnow
from app.services.sync.scheduler import Schedule, Scheduler, overdue, schedule_status, schedules_from_settings

if TYPE_CHECKING:
    from redis import Redis

    from app.services.health import CheckResult, HealthRegistry
    from config import Settings

log = logging.getLogger(__name__)
EXTENSION_KEY = "sync"
_start_lock = threading.Lock()


class SyncEngine:
    """The sync area: its schedules, the job queue it runs on, this process's scheduler thread.

    Built once by create_app (`init_app`); reached through `get_sync()`. The job handlers themselves are
    app/services/sync/prices.py, stocks.py and reconcile.py; app/services/sync/submit.py starts them."""

    def __init__(self, app: Flask, settings: Settings, queue: JobQueue, engine: Engine) -> None:
        self.app, self.settings, self.queue, self.engine = app, settings, queue, engine
        self.schedules: list[Schedule] = schedules_from_settings(settings)
        self.tz = ZoneInfo(settings.sync.timezone)
        self.scheduler: Scheduler | None = None
        self.pid: int | None = None  # the process whose threads run (a fork starts its own)

    def start_background(self) -> None:
        """Start this process's runner claim loop and (if enabled) scheduler thread; idempotent, fork-aware."""
        if self.pid == os.getpid():
            return
        with _start_lock:
            if self.pid == os.getpid():
                return
            runner = self.queue.runner()
            runner.start()
            if self.settings.sync.scheduler_enabled and self.schedules:
                self.scheduler = self.make_scheduler(owner=runner.owner, on_fire=runner.wake)
                self.scheduler.start()
            self.pid = os.getpid()
            log.info("sync runner started (owner %s, scheduler %s)", runner.owner, bool(self.scheduler))
        snapshots.ensure_initial(self.app)  # outside the start lock: it reads the app database

    def make_scheduler(self, *, owner: str, on_fire: Callable[[], None] | None = None,
                       clock: Callable[[], datetime] | None = None) -> Scheduler:
        settings = self.settings
        return Scheduler(self.engine, self.schedules, tz=self.tz, grace=settings.sync.schedule_grace,
                         tick=settings.sync.scheduler_tick, owner=owner, max_attempts=settings.sync.max_attempts,
                         on_fire=on_fire, **({"clock": clock} if clock else {}))

    def schedule_table(self) -> list[dict[str, Any]]:
        """Each schedule's last and next run (raises when the app database is down)."""
        return schedule_status(self.engine, self.schedules, self.tz)

    def metrics_schedule_table(self) -> list[dict[str, Any]]:
        try:
            return self.schedule_table()
        except Exception as exc:  # noqa: BLE001 - metrics must answer even with the app database down
            return [{"error": f"{type(exc).__name__}: {exc}"}]

    def check(self) -> CheckResult:
        """The `scheduler` health check."""
        from app.services.health import CheckResult

        if not self.schedules:
            return CheckResult("pass", 0, "schedules", "no schedule configured")
        table = self.schedule_table()
        nxt = min(entry["nextRun"] for entry in table)
        scheduler = self.scheduler
        details = {"schedules": table, "inProcess": bool(scheduler and scheduler.alive)}
        late = overdue(table, utcnow(), self.settings.sync.schedule_grace,
                       slack=3 * self.settings.sync.scheduler_tick + 5)
        if scheduler is not None and not scheduler.alive and self.pid == os.getpid():
            return CheckResult("warn", len(table), "schedules", "the scheduler thread of this worker stopped",
                               details)
        if late:
            return CheckResult("warn", len(table), "schedules",
                               f"due runs not fired: {', '.join(late)} (no scheduler running?)", details)
        return CheckResult("pass", len(table), "schedules", f"next run {nxt}", details)


def init_app(app: Flask, settings: Settings, queue: JobQueue, engine: Engine, redis_client: Redis | None,
             health: HealthRegistry) -> SyncEngine:
    """Register the job kinds, health check and metrics section; start the threads when serving."""
    from app.services.jobs.retention import run_prune_job
    from app.services.metrics_summary import register_section
    from app.services.sync.metrics import sync_section
    from app.services.sync.prices import run_price_job
    from app.services.sync.reconcile import run_acknowledge_job
    from app.services.sync.stocks import run_stock_job

    queue.register_kind(kinds.PRICES, run_price_job)
    queue.register_kind(kinds.STOCKS, run_stock_job)
    queue.register_kind(kinds.STOCKS_ACKNOWLEDGE, run_acknowledge_job)
    snapshots.init_app(app, settings, queue, engine, redis_client)  # the dashboard snapshot job kind and stores
    queue.register_kind(kinds.JOBS_PRUNE, run_prune_job, max_attempts=1)
    sync = app.extensions[EXTENSION_KEY] = SyncEngine(app, settings, queue, engine)
    health.register("scheduler", lambda: get_sync().check(), critical=False, component_type="component")
    register_section(app, "sync", lambda data: sync_section(data, get_sync().metrics_schedule_table()))
    if settings.sync.runner_enabled:
        # Lazily, in the process that serves: the first request of a worker (after fork) starts them...
        app.before_request(sync.start_background)  # a pid comparison once started
        if _serving_worker():  # ...and a Gunicorn worker starts them at once, requests or not
            sync.start_background()
    return sync


def get_sync(app: Flask | None = None) -> SyncEngine:
    """The app's sync engine (`app`, else the current app)."""
    sync: SyncEngine = (app or current_app).extensions[EXTENSION_KEY]
    return sync


def _serving_worker() -> bool:
    """True in a Gunicorn worker (the app is built after fork there: preload_app is off)."""
    return "gunicorn" in os.path.basename(sys.argv[0]) or "gunicorn" in sys.argv[0].split(os.sep)
