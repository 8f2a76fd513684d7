"""Background jobs: the one way to run work that outlasts a request (sync pipelines, image batches...).

    from app.services import jobs
    jobs.register_kind(app, "prices", handler)            # at init; handler(ctx: JobContext) -> JobOutcome
    job_id = jobs.submit("prices", {"items": [...]})       # enqueue and start it in this worker at once
    jobs.get_job(job_id)                                   # JobRecord (status, progress, counts, errors...)

Jobs live in the app database (table `jobs`) with a lease; every worker's JobRunner (runner.py) claims
queued jobs, so work survives a worker being recycled or killed. See docs/sync.md for the design.
"""
from __future__ import annotations

import atexit
import os
import threading
from typing import Any

from flask import Flask, current_app

from app.services.jobs.context import JobContext, JobStopped
from app.services.jobs.runner import Handler, JobKind, JobOutcome, JobRunner, RunnerConfig
from app.services.jobs.store import JobRecord
from config.current import get_settings

__all__ = ["JobContext", "JobOutcome", "JobRecord", "JobRunner", "JobStopped", "get_job", "get_runner",
           "init_app", "list_jobs", "register_kind", "submit"]
EXTENSION_KEY = "jobs"
_runner_lock = threading.Lock()


def init_app(app: Flask) -> None:
    """Create the (empty) kind registry; the runner itself is built lazily in the process that uses it."""
    settings = get_settings(app)
    app.extensions[EXTENSION_KEY] = {
        "config": RunnerConfig(concurrency=max(1, settings.sync.runner_concurrency),
                               poll_interval=settings.sync.poll_interval,
                               lease_seconds=settings.sync.lease_seconds,
                               heartbeat_seconds=settings.sync.heartbeat_seconds),
        "max_attempts": max(1, settings.sync.max_attempts),
        "runner": None,
    }


def register_kind(app: Flask, name: str, handler: Handler, *, max_attempts: int | None = None) -> None:
    app.extensions[EXTENSION_KEY]["config"].kinds[name] = JobKind(name, handler, max_attempts)


def _engine(app: Flask) -> Any:
    return app.extensions["app_db"]


def get_runner(app: Flask | None = None) -> JobRunner:
    """This process's runner (a new one after fork: threads and leases never cross a fork)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    ext = app.extensions[EXTENSION_KEY]
    with _runner_lock:
        runner: JobRunner | None = ext["runner"]
        if runner is None or runner.pid != os.getpid():
            runner = JobRunner(app, _engine(app), ext["config"])
            ext["runner"] = runner
            atexit.register(runner.stop)  # worker exit: give running jobs back to the queue
    return runner


def submit(kind: str, params: dict[str, Any], *, requested_by: str | None = None, start: bool = True) -> int:
    """Enqueue a job; with `start`, claim and start it on a thread of this worker right away.

    Raises LookupError for an unknown kind, DependencyUnavailable when the app database is down.
    """
    from app.services.jobs import store

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    ext = app.extensions[EXTENSION_KEY]
    kind_def = ext["config"].kinds.get(kind)
    if kind_def is None:
        raise LookupError(f"unknown job kind {kind!r}")
    job_id = store.enqueue(_engine(app), kind, params, max_attempts=kind_def.max_attempts or ext["max_attempts"],
                           requested_by=requested_by)
    if start:
        get_runner(app).run_job(job_id)
    return job_id


def get_job(job_id: int) -> JobRecord | None:
    from app.services.jobs import store

    return store.get_job(_engine(current_app), job_id)


def list_jobs(**filters: Any) -> tuple[list[JobRecord], int]:
    from app.services.jobs import store

    return store.list_jobs(_engine(current_app), **filters)
