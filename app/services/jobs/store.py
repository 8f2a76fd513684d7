"""The jobs table and its SQL: enqueue, atomic claim with a lease, heartbeat, finish, release, locks, listing.

Every state change of a job that another process may race on is one conditional UPDATE whose WHERE clause
states the precondition (status, lease owner, lease expiry); `rowcount == 1` means this process won. That is
atomic on SQLite (one writer at a time), PostgreSQL and MariaDB (row lock held by the UPDATE) without
SELECT ... FOR UPDATE SKIP LOCKED, so the same code runs on the embedded default and on a shared server.
Times are naive UTC and come from the caller's clock (tests advance it).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Insert, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.adapters import sql
from app.adapters.appdb_tables import job_locks, jobs, schedule_runs

ACTIVE = ("running", "waiting")
QUEUED = ("pending", "interrupted")
FINAL = ("succeeded", "partial", "failed")
CLAIM_CANDIDATES = 5


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.replace(tzinfo=UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class JobRecord:
    """One row of `jobs`, JSON columns decoded."""

    id: int
    kind: str
    params: dict[str, Any]
    status: str
    waiting_on: str | None
    progress: dict[str, Any]
    counts: dict[str, Any]
    errors: list[dict[str, Any]]
    result: dict[str, Any] | None
    message: str | None
    requested_by: str | None
    attempts: int
    max_attempts: int
    lease_owner: str | None
    lease_expires_at: datetime | None
    heartbeat_at: datetime | None
    available_at: datetime
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime

    @property
    def finished(self) -> bool:
        return self.status in FINAL

    @property
    def duration(self) -> float | None:
        if self.started_at is None:
            return None
        return ((self.finished_at or utcnow()) - self.started_at).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        """The API shape (camelCase, ISO-8601 UTC times)."""
        return {
            "id": self.id, "kind": self.kind, "params": self.params, "status": self.status,
            "waitingOn": self.waiting_on, "progress": self.progress, "counts": self.counts,
            "errors": self.errors, "result": self.result, "message": self.message,
            "requestedBy": self.requested_by, "attempts": self.attempts, "maxAttempts": self.max_attempts,
            "leaseOwner": self.lease_owner, "leaseExpiresAt": _iso(self.lease_expires_at),
            "heartbeatAt": _iso(self.heartbeat_at), "createdAt": _iso(self.created_at),
            "startedAt": _iso(self.started_at), "finishedAt": _iso(self.finished_at),
            "updatedAt": _iso(self.updated_at),
            "durationSeconds": None if self.duration is None else round(self.duration, 3),
        }


def _record(row: Any) -> JobRecord:
    m = row._mapping
    return JobRecord(
        id=int(m["id"]), kind=m["kind"], params=json.loads(m["params"] or "{}"), status=m["status"],
        waiting_on=m["waiting_on"], progress=json.loads(m["progress"] or "{}"),
        counts=json.loads(m["counts"] or "{}"), errors=json.loads(m["errors"] or "[]"),
        result=json.loads(m["result"]) if m["result"] else None, message=m["message"],
        requested_by=m["requested_by"], attempts=int(m["attempts"]), max_attempts=int(m["max_attempts"]),
        lease_owner=m["lease_owner"], lease_expires_at=m["lease_expires_at"], heartbeat_at=m["heartbeat_at"],
        available_at=m["available_at"], created_at=m["created_at"], started_at=m["started_at"],
        finished_at=m["finished_at"], updated_at=m["updated_at"])


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


def insert_job_statement(kind: str, params: dict[str, Any], *, max_attempts: int, requested_by: str | None,
                         now: datetime) -> Insert:
    return insert(jobs).values(kind=kind, params=_dumps(params), status="pending", max_attempts=max_attempts,
                               requested_by=requested_by, available_at=now, created_at=now, updated_at=now)


def enqueue(engine: Engine, kind: str, params: dict[str, Any], *, max_attempts: int = 3,
            requested_by: str | None = None, now: datetime | None = None) -> int:
    """Insert a pending job; returns its id. Raises DependencyUnavailable when the app database is down."""
    stmt = insert_job_statement(kind, params, max_attempts=max_attempts, requested_by=requested_by,
                                now=now or utcnow())
    with sql.begin(engine) as conn:
        return sql.inserted_id(conn.execute(stmt))


def get_job(engine: Engine, job_id: int) -> JobRecord | None:
    with sql.connect(engine) as conn:
        row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
    return _record(row) if row is not None else None


def list_jobs(engine: Engine, *, kind: str | None = None, status: str | None = None, limit: int = 50,
              offset: int = 0) -> tuple[list[JobRecord], int]:
    """Newest first; returns (page, total matching)."""
    conditions = []
    if kind:
        conditions.append(jobs.c.kind == kind)
    if status:
        conditions.append(jobs.c.status == status)
    with sql.connect(engine) as conn:
        total = conn.execute(select(func.count()).select_from(jobs).where(*conditions)).scalar_one()
        rows = conn.execute(select(jobs).where(*conditions).order_by(jobs.c.id.desc())
                            .limit(limit).offset(offset)).all()
    return [_record(r) for r in rows], int(total)


def _claimable(now: datetime) -> Any:
    return and_(jobs.c.status.in_(QUEUED), jobs.c.available_at <= now, jobs.c.attempts < jobs.c.max_attempts)


def reap_expired(engine: Engine, *, now: datetime | None = None) -> int:
    """Running/waiting jobs whose lease ran out (worker killed or recycled) become `interrupted`: queued again
    while attempts remain, else failed. Returns how many leases were reaped."""
    now = now or utcnow()
    expired = and_(jobs.c.status.in_(ACTIVE), jobs.c.lease_expires_at < now)
    with sql.begin(engine) as conn:
        reaped = conn.execute(update(jobs).where(expired).values(
            status="interrupted", lease_owner=None, waiting_on=None, available_at=now, updated_at=now,
            message="lease expired: the worker running it stopped")).rowcount
        conn.execute(update(jobs).where(jobs.c.status == "interrupted", jobs.c.attempts >= jobs.c.max_attempts)
                     .values(status="failed", finished_at=now, updated_at=now,
                             message="interrupted too many times (max attempts reached)"))
        conn.execute(delete(job_locks).where(job_locks.c.expires_at < now))
    return max(0, int(reaped or 0))


def claim(engine: Engine, owner: str, lease_seconds: float, *, kinds: tuple[str, ...] | None = None,
          job_id: int | None = None, now: datetime | None = None) -> JobRecord | None:
    """Take one queued job (the oldest, or `job_id`) under a lease for `owner`; None when there is none.

    The UPDATE repeats the "still claimable" condition, so of two processes racing for a job exactly one
    gets rowcount 1; the loser tries the next candidate.
    """
    now = now or utcnow()
    conditions = [_claimable(now)]
    if kinds is not None:
        conditions.append(jobs.c.kind.in_(kinds))
    if job_id is not None:
        conditions.append(jobs.c.id == job_id)
    with sql.connect(engine) as conn:
        ids = conn.execute(select(jobs.c.id).where(*conditions).order_by(jobs.c.id)
                           .limit(CLAIM_CANDIDATES)).scalars().all()
    for candidate in ids:
        with sql.begin(engine) as conn:
            won = conn.execute(update(jobs).where(jobs.c.id == candidate, _claimable(now)).values(
                status="running", lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds),
                heartbeat_at=now, attempts=jobs.c.attempts + 1, waiting_on=None, updated_at=now,
                started_at=func.coalesce(jobs.c.started_at, now))).rowcount
        if won == 1:
            return get_job(engine, candidate)
    return None


def _owned(job_id: int, owner: str) -> Any:
    return and_(jobs.c.id == job_id, jobs.c.lease_owner == owner, jobs.c.status.in_(ACTIVE))


def heartbeat(engine: Engine, job_id: int, owner: str, lease_seconds: float, *,
              state: dict[str, Any] | None = None, now: datetime | None = None) -> bool:
    """Renew the lease (and the job's locks) and store `state` (progress, counts, errors, status, waiting_on,
    message). False when the lease is no longer ours: the job must stop at once."""
    now = now or utcnow()
    until = now + timedelta(seconds=lease_seconds)
    values: dict[str, Any] = {"lease_expires_at": until, "heartbeat_at": now, "updated_at": now}
    for key, value in (state or {}).items():
        values[key] = _dumps(value) if key in ("progress", "counts", "errors") else value
    with sql.begin(engine) as conn:
        ok = conn.execute(update(jobs).where(_owned(job_id, owner)).values(**values)).rowcount == 1
        if ok:
            conn.execute(update(job_locks).where(job_locks.c.job_id == job_id, job_locks.c.owner == owner)
                         .values(expires_at=until))
    return ok


def finish(engine: Engine, job_id: int, owner: str, status: str, *, state: dict[str, Any],
           result: dict[str, Any] | None, now: datetime | None = None) -> bool:
    """Record the final status (succeeded, partial, failed) and drop the lease and locks."""
    now = now or utcnow()
    values = {key: (_dumps(value) if key in ("progress", "counts", "errors") else value)
              for key, value in state.items()}
    values.update(status=status, result=_dumps(result) if result is not None else None, lease_owner=None,
                  lease_expires_at=None, waiting_on=None, finished_at=now, updated_at=now)
    with sql.begin(engine) as conn:
        ok = conn.execute(update(jobs).where(_owned(job_id, owner)).values(**values)).rowcount == 1
        conn.execute(delete(job_locks).where(job_locks.c.job_id == job_id, job_locks.c.owner == owner))
    return ok


def release(engine: Engine, job_id: int, owner: str, *, message: str, count_attempt: bool,
            delay: float = 0.0, state: dict[str, Any] | None = None, now: datetime | None = None) -> bool:
    """Give a running job back to the queue as `interrupted` (graceful stop, or an error worth a retry).

    A graceful stop does not count as an attempt (`count_attempt=False`)."""
    now = now or utcnow()
    values = {key: (_dumps(value) if key in ("progress", "counts", "errors") else value)
              for key, value in (state or {}).items()}
    values.update(status="interrupted", lease_owner=None, lease_expires_at=None, waiting_on=None,
                  message=message[:500], available_at=now + timedelta(seconds=delay), updated_at=now)
    if not count_attempt:
        values["attempts"] = jobs.c.attempts - 1
    with sql.begin(engine) as conn:
        ok = conn.execute(update(jobs).where(_owned(job_id, owner)).values(**values)).rowcount == 1
        conn.execute(delete(job_locks).where(job_locks.c.job_id == job_id, job_locks.c.owner == owner))
    return ok


# -- locks: one holder per name (e.g. one pipeline run per stock source) ---------------------------------
def acquire_lock(engine: Engine, name: str, job_id: int, owner: str, seconds: float, *,
                 now: datetime | None = None) -> bool:
    """Take `name` for the job (re-entrant for the same job run by the same owner); expires with the lease.

    Keyed on (job, owner): a resumed job and a stale copy of it on a host that lost its lease share the
    job id, and the stale copy must neither re-enter nor release the new owner's lock.
    """
    now = now or utcnow()
    until = now + timedelta(seconds=seconds)
    with sql.begin(engine) as conn:
        taken = conn.execute(update(job_locks).where(
            job_locks.c.name == name,
            or_(job_locks.c.expires_at < now, and_(job_locks.c.job_id == job_id, job_locks.c.owner == owner)))
            .values(job_id=job_id, owner=owner, expires_at=until)).rowcount
    if taken == 1:
        return True
    try:
        with sql.begin(engine) as conn:
            conn.execute(insert(job_locks).values(name=name, job_id=job_id, owner=owner, expires_at=until))
        return True
    except IntegrityError:
        return False  # a live holder exists (or won the insert race)


def release_lock(engine: Engine, name: str, job_id: int, owner: str) -> None:
    with sql.begin(engine) as conn:
        conn.execute(delete(job_locks).where(job_locks.c.name == name, job_locks.c.job_id == job_id,
                                             job_locks.c.owner == owner))


def lock_holder(engine: Engine, name: str, *, now: datetime | None = None) -> int | None:
    now = now or utcnow()
    with sql.connect(engine) as conn:
        return conn.execute(select(job_locks.c.job_id).where(job_locks.c.name == name,
                                                             job_locks.c.expires_at >= now)).scalar()


def prune_finished(engine: Engine, older_than: datetime) -> dict[str, int]:
    """Delete finished jobs that ended before `older_than`, and schedule runs due before it (except each
    schedule's latest, which the schedule table shows); returns how many rows of each went."""
    with sql.begin(engine) as conn:
        deleted_jobs = conn.execute(delete(jobs).where(jobs.c.status.in_(FINAL), jobs.c.finished_at.is_not(None),
                                                       jobs.c.finished_at < older_than)).rowcount
        latest = dict(conn.execute(select(schedule_runs.c.name, func.max(schedule_runs.c.due_at))
                                   .group_by(schedule_runs.c.name)).all())
        deleted_runs = 0
        for name, last_due in latest.items():  # per name: MariaDB refuses a DELETE reading its own table
            deleted_runs += conn.execute(delete(schedule_runs).where(
                schedule_runs.c.name == name, schedule_runs.c.due_at < min(older_than, last_due))).rowcount
    return {"jobs": int(deleted_jobs or 0), "scheduleRuns": int(deleted_runs or 0)}
