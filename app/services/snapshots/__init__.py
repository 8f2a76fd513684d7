"""Dashboard snapshots: chart and dashboard datasets built by a background job, read by requests.

    from app.services import snapshots
    snap = snapshots.read("inventory/status")       # the latest snapshot, or SnapshotPending (503) + a build
    snapshots.age_headers(snap)                      # {"Age": "42", "X-Data-As-Of": "2026-11-29T20:00:00+00:00"}
    snapshots.request_refresh(groups=["inventory"])  # a job (or the queued one that already covers it)

No request ever reads Magento for a chart: the job kind "snapshots" (build.py) does, on a schedule
(SNAPSHOT_SCHEDULE incremental, SNAPSHOT_SCHEDULE_FULL full), after syncs that change what the charts show,
at start when none exists, and on demand (POST /api/dashboard/snapshots/refresh). See docs/dashboards.md.
"""
from __future__ import annotations

import logging
import uuid
from datetime import UTC
from typing import TYPE_CHECKING, Any

from flask import Flask

from app.adapters.appdb import get_app_engine
from app.adapters.snapshot_store import Snapshot
from app.errors import SnapshotPending
from app.services import jobs
from app.services.jobs import kinds
from app.services.jobs import store as job_store
from app.services.jobs.store import ACTIVE, QUEUED, JobRecord, utcnow
from app.services.snapshots.build import run_snapshot_job
from app.services.snapshots.datasets import DATASETS, GROUPS
from app.services.snapshots.storage import get_state_store, get_store, init_stores
from config.current import get_settings

if TYPE_CHECKING:
    from redis import Redis
    from sqlalchemy import Engine

    from app.services.jobs import JobQueue
    from config import Settings

__all__ = ["DATASETS", "GROUPS", "KIND", "age_headers", "ensure_initial", "init_app", "kick", "read",
           "refresh_after_sync", "request_refresh", "status", "submit_build"]
log = logging.getLogger(__name__)
KIND = kinds.SNAPSHOTS
KICK_LOCK = "snapshots:kick"
PENDING_RETRY_AFTER = 30  # Retry-After (s) of the 503 snapshot_pending answered before a dataset's first build
KICK_SECONDS = 30.0  # at most one automatic first build started per this many seconds, all workers and hosts


def init_app(app: Flask, settings: Settings, queue: JobQueue, engine: Engine, redis_client: Redis | None) -> None:
    """Build the stores (app database `engine`, Redis when configured) and register the job kind on `queue`."""
    init_stores(app, settings, engine, redis_client)
    queue.register_kind(KIND, run_snapshot_job)


# -- the request path -------------------------------------------------------------------------------------
def read(name: str) -> Snapshot:
    """The latest snapshot of `name` (a store read, no Magento call).

    Raises SnapshotPending (503, Retry-After) before the first build stored it, after starting that build
    when SNAPSHOT_AUTO_REFRESH is on. DependencyUnavailable when neither Redis nor the app database answers.
    """
    found = get_store().get(name)
    if found is not None:
        return found
    settings = get_settings()
    job_id = kick("request") if settings.snapshots.auto_refresh else _open_job_id()
    message = None if job_id is not None else (
        f"{name} has no snapshot yet; it is stored by the next build (POST /api/dashboard/snapshots/refresh).")
    raise SnapshotPending(name, PENDING_RETRY_AFTER, message, details={"dataset": name, "jobId": job_id})


def _open_job_id() -> int | None:
    open_jobs = _open_jobs()
    return open_jobs[0].id if open_jobs else None


def age_headers(snapshot: Snapshot) -> dict[str, str]:
    """`Age` (whole seconds since its data was read) and `X-Data-As-Of` (that time, ISO 8601 UTC)."""
    return {"Age": str(int(snapshot.age(utcnow()))),
            "X-Data-As-Of": snapshot.as_of.replace(tzinfo=UTC).isoformat(timespec="seconds")}


# -- starting builds --------------------------------------------------------------------------------------
def _open_jobs() -> list[JobRecord]:
    """Snapshot jobs queued or running, oldest first."""
    page, _total = jobs.get_jobs().list_jobs(kind=KIND, limit=20)
    return sorted((r for r in page if r.status in QUEUED + ACTIVE), key=lambda r: r.id)


def _covers(have: dict[str, Any], want: dict[str, Any]) -> bool:
    """True when a job with params `have` reads at least what `want` asks for."""
    if have.get("full"):
        return True
    if want.get("full"):
        return False
    have_groups, want_groups = set(have.get("groups") or GROUPS), set(want.get("groups") or GROUPS)
    if not want_groups <= have_groups or not set(want.get("refetch") or ()) <= set(have.get("refetch") or ()):
        return False
    if "inventory" in want_groups and have.get("sources") is not None:
        return want.get("sources") is not None and set(want["sources"]) <= set(have["sources"])
    return True


def request_refresh(*, full: bool = False, groups: list[str] | None = None, sources: list[str] | None = None,
                    refetch: list[str] | None = None, requested_by: str | None = None) -> tuple[int, bool]:
    """Queue and start a build; returns (job id, created). A queued (not yet running) build whose params
    cover this request is returned instead of a new one; a running build may have read before the change
    that prompted this request, so it never counts."""
    request = kinds.snapshot_refresh(full=full, groups=groups, sources=sources, refetch=refetch)
    for record in _open_jobs():
        if record.status in QUEUED and _covers(record.params, request.params):
            return record.id, False
    return jobs.get_jobs().submit(request, requested_by=requested_by), True


def submit_build(*, full: bool = False, groups: list[str] | None = None, requested_by: str | None = None,
                 start: bool = True) -> int:
    """Queue a build (everything when `full`, else what changed in `groups`); returns the job id."""
    return jobs.get_jobs().submit(kinds.snapshot_build(full=full, groups=groups), requested_by=requested_by,
                                  start=start)


def kick(reason: str) -> int | None:
    """Start a build unless one is queued or running (its id is returned then); at most one kick per
    KICK_SECONDS across workers and hosts (a job lock in the app database). None when another kick won."""
    open_jobs = _open_jobs()
    if open_jobs:
        return open_jobs[0].id
    engine = get_app_engine()
    if not job_store.acquire_lock(engine, KICK_LOCK, 0, f"kick:{uuid.uuid4().hex}", KICK_SECONDS):
        return None
    job_id = submit_build(requested_by=f"snapshots:{reason}")
    log.info("snapshot build %s started (%s)", job_id, reason, extra={"job_id": job_id})
    return job_id


def refresh_after_sync(*, groups: list[str], sources: list[str] | None = None,
                       refetch: list[str] | None = None, reason: str) -> int | None:
    """Called by sync jobs that changed Magento: refresh the groups they changed (SNAPSHOT_AUTO_REFRESH).

    Never raises: a sync's outcome must not depend on the dashboard (the schedule catches up)."""
    if not get_settings().snapshots.auto_refresh:
        return None
    try:
        job_id, _created = request_refresh(groups=groups, sources=sources, refetch=refetch,
                                           requested_by=f"after:{reason}")
        return job_id
    except Exception:  # noqa: BLE001 - see the docstring
        log.warning("could not queue a snapshot refresh after %s", reason, exc_info=True)
        return None


def ensure_initial(app: Flask) -> int | None:
    """At start (each serving worker): build the snapshots if any dataset has none yet; one worker wins."""
    if not get_settings(app).snapshots.auto_refresh:
        return None
    with app.app_context():
        try:
            stored = {s.name for s in get_store().index()}
            if stored >= set(DATASETS):
                return None
            return kick("startup")
        except Exception:  # noqa: BLE001 - the app database may be down at start; a read kicks it later
            log.warning("could not start the first snapshot build", exc_info=True)
            return None


# -- operator view ----------------------------------------------------------------------------------------
def status() -> dict[str, Any]:
    """Each dataset's as-of, age and status (ready/pending), the store backend and the open or last job."""
    now = utcnow()
    stored = {s.name: s for s in get_store().index()}
    datasets = []
    for name in DATASETS:
        snap = stored.get(name)
        entry: dict[str, Any] = {"name": name, "status": "ready" if snap else "pending"}
        if snap is not None:
            entry.update(snap.meta(), ageSeconds=int(snap.age(now)))
        datasets.append(entry)
    state = {s.name: s for s in get_state_store().index()}.get("_state")
    page, _total = jobs.get_jobs().list_jobs(kind=KIND, limit=1)
    open_jobs = _open_jobs()
    return {"backend": get_store().backend, "datasets": datasets,
            "workingSet": state.meta() if state else None,
            "job": open_jobs[0].as_dict() if open_jobs else None,
            "lastJob": page[0].as_dict() if page else None}
