"""Job history retention: the `jobs.prune` job deletes finished jobs older than JOB_RETENTION_DAYS.

The scheduler fires it (SYNC_SCHEDULE_PRUNE, daily by default) like any other schedule, so exactly one
worker of one host prunes per occurrence; queued and running jobs are never touched.
"""
from __future__ import annotations

from datetime import timedelta

from app.adapters.appdb import get_app_engine
from app.services.jobs import kinds, store
from app.services.jobs.context import JobContext
from app.services.jobs.runner import JobOutcome
from config.current import get_settings

KIND = kinds.JOBS_PRUNE


def run_prune_job(ctx: JobContext) -> JobOutcome:
    """Delete the history older than the retention (0 keeps everything)."""
    days = get_settings().sync.job_retention_days
    if days <= 0:
        return JobOutcome("succeeded", {"jobs": 0, "scheduleRuns": 0}, "JOB_RETENTION_DAYS=0: history kept")
    deleted = store.prune_finished(get_app_engine(), store.utcnow() - timedelta(days=days))
    ctx.count(deleted=deleted["jobs"])
    message = (f"{deleted['jobs']} finished jobs and {deleted['scheduleRuns']} schedule runs older than "
               f"{days} days deleted")
    return JobOutcome("succeeded", deleted, message)
