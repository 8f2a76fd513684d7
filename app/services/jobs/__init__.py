"""Background jobs: the one way to run work that outlasts a request (sync pipelines, image batches...).

    from app.services.jobs import get_jobs, kinds
    get_jobs(app).register_kind(kinds.PRICES, handler)      # at init; handler(ctx: JobContext) -> JobOutcome
    job_id = get_jobs().submit(kinds.price_sync(items))     # enqueue and start it in this worker at once
    get_jobs().get_job(job_id)                              # JobRecord (status, progress, counts, errors...)

Each area wraps its kinds in typed submit functions (app/services/sync/submit.py, snapshots, image batches).
Jobs live in the app database (table `jobs`) with a lease; every worker's JobRunner (runner.py) claims
queued jobs, so work survives a worker being recycled or killed. See docs/sync.md for the design.
"""
from __future__ import annotations

from app.services.jobs.context import JobContext, JobStopped
from app.services.jobs.kinds import JobRequest
from app.services.jobs.queue import JobQueue, get_jobs, init_app
from app.services.jobs.runner import JobOutcome, JobRunner
from app.services.jobs.store import JobRecord

__all__ = ["JobContext", "JobOutcome", "JobQueue", "JobRecord", "JobRequest", "JobRunner", "JobStopped", "get_jobs",
           "init_app"]
