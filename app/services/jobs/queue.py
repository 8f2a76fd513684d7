"""JobQueue: the job area's service object -- the kind registry, the app database engine, this process's runner."""
from __future__ import annotations

import atexit
import os
import threading
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from sqlalchemy import Engine

from app.services.jobs import store
from app.services.jobs.kinds import JobRequest
from app.services.jobs.runner import Handler, JobKind, JobRunner, RunnerConfig
from app.services.jobs.store import JobRecord

if TYPE_CHECKING:
    from config import Settings

EXTENSION_KEY = "jobs"


class JobQueue:
    """Built once by create_app (`init_app`); reached through `get_jobs()`. The runner is built lazily in the
    process that uses it (a new one after fork: threads and leases never cross a fork)."""

    def __init__(self, app: Flask, engine: Engine, config: RunnerConfig, max_attempts: int) -> None:
        self.app, self.engine, self.config, self.max_attempts = app, engine, config, max_attempts
        self._runner: JobRunner | None = None
        self._lock = threading.Lock()

    def register_kind(self, name: str, handler: Handler, *, max_attempts: int | None = None) -> None:
        self.config.kinds[name] = JobKind(name, handler, max_attempts)

    def runner(self) -> JobRunner:
        """This process's runner."""
        with self._lock:
            runner = self._runner
            if runner is None or runner.pid != os.getpid():
                runner = self._runner = JobRunner(self.app, self.engine, self.config)
                atexit.register(runner.stop)  # worker exit: give running jobs back to the queue
        return runner

    def submit(self, request: JobRequest, *, requested_by: str | None = None, start: bool = True) -> int:
        """Enqueue a job; with `start`, claim and start it on a thread of this worker right away.

        Raises LookupError for an unknown kind, DependencyUnavailable when the app database is down.
        """
        kind_def = self.config.kinds.get(request.kind)
        if kind_def is None:
            raise LookupError(f"unknown job kind {request.kind!r}")
        job_id = store.enqueue(self.engine, request.kind, request.params,
                               max_attempts=kind_def.max_attempts or self.max_attempts, requested_by=requested_by)
        if start:
            self.runner().run_job(job_id)
        return job_id

    def get_job(self, job_id: int) -> JobRecord | None:
        return store.get_job(self.engine, job_id)

    def list_jobs(self, **filters: Any) -> tuple[list[JobRecord], int]:
        return store.list_jobs(self.engine, **filters)


def init_app(app: Flask, settings: Settings, engine: Engine) -> JobQueue:
    """The queue over the app database `engine`, with the runner's settings; kinds are registered by each area."""
    config = RunnerConfig(concurrency=max(1, settings.sync.runner_concurrency),
                          poll_interval=settings.sync.poll_interval, lease_seconds=settings.sync.lease_seconds,
                          heartbeat_seconds=settings.sync.heartbeat_seconds)
    queue = app.extensions[EXTENSION_KEY] = JobQueue(app, engine, config, max(1, settings.sync.max_attempts))
    return queue


def get_jobs(app: Flask | None = None) -> JobQueue:
    """The app's job queue (`app`, else the current app)."""
    queue: JobQueue = (app or current_app).extensions[EXTENSION_KEY]
    return queue
