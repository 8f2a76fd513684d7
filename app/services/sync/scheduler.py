"""The sync scheduler: cron expressions fire each due occurrence exactly once across workers and hosts.

Every scheduler (a thread per Gunicorn worker, or `manage.py scheduler`) checks each schedule every tick:
the latest occurrence at or before now (read in SYNC_TIMEZONE) is claimed by INSERTing (name, due_at) into
`schedule_runs`, whose unique constraint lets exactly one insert win across every process sharing the app
database; the winner enqueues the job in the same transaction. Missed-run policy: only the latest occurrence
is considered, and only while it is less than SYNC_SCHEDULE_GRACE old -- after downtime a schedule runs
once (if its last occurrence is within the grace window), never a backlog. An occurrence whose previous job
of the same kind is still queued or running is recorded without a new job (no pile-up).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.adapters import sql
from app.adapters.appdb_tables import jobs, schedule_runs
from app.services.jobs import kinds
from app.services.jobs.kinds import JobRequest
from app.services.jobs.store import ACTIVE, QUEUED, insert_job_statement, utcnow
from config.settings import Settings

if TYPE_CHECKING:
    from config import Settings

log = logging.getLogger(__name__)
SCHEDULE_KINDS: dict[str, JobRequest] = {
    "prices": kinds.price_sync(),
    "stocks": kinds.stock_sync(merge=True),
    "full": kinds.stock_sync(merge=True, full=True),
    # MSI source items have no updated_at: re-reading them all every few minutes would cost a large shop
    # minutes of Magento calls, so inventory is refreshed by stock syncs (their hook) and the full rebuild.
    "snapshots": kinds.snapshot_build(groups=["catalog", "sales"]),
    "snapshots-full": kinds.snapshot_build(full=True),
    "prune": kinds.job_prune(),  # job history retention (app/services/jobs/retention.py)
}
# Schedules that skip an occurrence only while a job of the *same schedule* is open, not any job of the kind:
# the daily full snapshot rebuild must not be skipped because an incremental refresh happens to be running.
PER_SCHEDULE_BUSY = frozenset({"snapshots-full"})


@dataclass(frozen=True)
class Schedule:
    name: str
    cron: str
    kind: str
    params: dict[str, Any]


def _crons(settings: Settings) -> dict[str, tuple[str, str]]:
    """Schedule name -> (its variable, its cron expression)."""
    sync, snapshots = settings.sync, settings.snapshots
    return {"prices": ("SYNC_SCHEDULE_PRICES", sync.schedule_prices),
            "stocks": ("SYNC_SCHEDULE_STOCKS", sync.schedule_stocks),
            "full": ("SYNC_SCHEDULE_FULL", sync.schedule_full),
            "snapshots": ("SNAPSHOT_SCHEDULE", snapshots.schedule),
            "snapshots-full": ("SNAPSHOT_SCHEDULE_FULL", snapshots.schedule_full),
            "prune": ("SYNC_SCHEDULE_PRUNE", sync.schedule_prune)}


def schedules_from_settings(settings: Settings) -> list[Schedule]:
    """The configured schedules (an empty expression turns one off). Raises ValueError for a bad expression."""
    out = []
    for name, (env, cron) in _crons(settings).items():
        if name == "prune" and not settings.sync.job_retention_days:
            continue  # retention 0 keeps every job: nothing to prune
        if not cron.strip():
            continue
        if not croniter.is_valid(cron):
            raise ValueError(f"{env}: {cron!r} is not a cron expression")
        request = SCHEDULE_KINDS[name]
        out.append(Schedule(name, cron.strip(), request.kind, request.params))
    return out


def _local(now_utc: datetime, tz: ZoneInfo) -> datetime:
    return now_utc.replace(tzinfo=UTC).astimezone(tz)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def latest_due(cron: str, now_utc: datetime, tz: ZoneInfo) -> datetime:
    """The latest occurrence at or before `now_utc` (naive UTC in and out; cron read in `tz`)."""
    # get_prev is strictly before its start: start just after now so an occurrence equal to now counts.
    start = _local(now_utc, tz).replace(microsecond=0) + timedelta(seconds=1)
    return _naive_utc(croniter(cron, start).get_prev(datetime))


def next_due(cron: str, now_utc: datetime, tz: ZoneInfo) -> datetime:
    return _naive_utc(croniter(cron, _local(now_utc, tz)).get_next(datetime))


def fire_due(engine: Engine, schedules: list[Schedule], *, now: datetime, tz: ZoneInfo, grace: float,
             owner: str, max_attempts: int) -> list[tuple[str, datetime, int | None]]:
    """Claim and enqueue every due occurrence not fired yet; returns [(name, due_at, job_id|None)] won here."""
    fired = []
    for schedule in schedules:
        due = latest_due(schedule.cron, now, tz)
        if (now - due).total_seconds() > grace:
            continue  # missed beyond the grace window: skipped, the next occurrence runs normally
        try:
            with sql.begin(engine) as conn:
                conn.execute(insert(schedule_runs).values(name=schedule.name, due_at=due, fired_at=now,
                                                          fired_by=owner))
                same = (jobs.c.requested_by == f"schedule:{schedule.name}" if schedule.name in PER_SCHEDULE_BUSY
                        else jobs.c.kind == schedule.kind)
                busy = conn.execute(select(func.count()).select_from(jobs).where(
                    same, jobs.c.status.in_(ACTIVE + QUEUED))).scalar_one()
                job_id = None
                if not busy:
                    job_id = sql.inserted_id(conn.execute(insert_job_statement(
                        schedule.kind, {**schedule.params, "schedule": schedule.name}, max_attempts=max_attempts,
                        requested_by=f"schedule:{schedule.name}", now=now)))
                    conn.execute(update(schedule_runs).where(schedule_runs.c.name == schedule.name,
                                                             schedule_runs.c.due_at == due).values(job_id=job_id))
        except IntegrityError:
            continue  # another worker or host fired this occurrence
        log.info("schedule %s fired for %s: job %s", schedule.name, due.isoformat(), job_id,
                 extra={"schedule": schedule.name, "job_id": job_id})
        fired.append((schedule.name, due, job_id))
    return fired


def schedule_status(engine: Engine, schedules: list[Schedule], tz: ZoneInfo,
                    now: datetime | None = None) -> list[dict[str, Any]]:
    """Per schedule: cron, time zone, last fired occurrence (and its job) and the next occurrence."""
    now = now or utcnow()
    out = []
    with sql.connect(engine) as conn:
        for schedule in schedules:
            last = conn.execute(select(schedule_runs.c.due_at, schedule_runs.c.fired_at, schedule_runs.c.job_id)
                                .where(schedule_runs.c.name == schedule.name)
                                .order_by(schedule_runs.c.due_at.desc()).limit(1)).first()
            out.append({
                "name": schedule.name, "cron": schedule.cron, "kind": schedule.kind, "timezone": str(tz.key),
                "lastRun": _iso(last[0]) if last else None, "lastFiredAt": _iso(last[1]) if last else None,
                "lastJobId": last[2] if last else None, "nextRun": _iso(next_due(schedule.cron, now, tz)),
                "latestDue": _iso(latest_due(schedule.cron, now, tz)),
            })
    return out


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.replace(tzinfo=UTC).isoformat(timespec="seconds")


class Scheduler:
    """A thread calling `fire_due` every `tick` seconds; `clock` is injectable (tests advance time)."""

    def __init__(self, engine: Engine, schedules: list[Schedule], *, tz: ZoneInfo, grace: float, tick: float,
                 owner: str, max_attempts: int, on_fire: Callable[[], None] | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine, self.schedules, self.tz, self.grace, self.tick = engine, schedules, tz, grace, tick
        self.owner, self.max_attempts, self.on_fire, self.clock = owner, max_attempts, on_fire, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_tick: datetime | None = None
        self.last_error: str | None = None

    def tick_once(self) -> list[tuple[str, datetime, int | None]]:
        fired = fire_due(self.engine, self.schedules, now=self.clock(), tz=self.tz, grace=self.grace,
                         owner=self.owner, max_attempts=self.max_attempts)
        self.last_tick = utcnow()
        if fired and self.on_fire is not None:
            self.on_fire()
        return fired

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick_once()
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - the app database may be briefly down: next tick
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("scheduler tick failed: %s", self.last_error)
            self._stop.wait(self.tick)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self.run_forever, name="sync-scheduler", daemon=True)
            self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()


def overdue(status: list[dict[str, Any]], now: datetime, grace: float, slack: float) -> list[str]:
    """Schedules whose latest occurrence (older than `slack`, within the grace window) never fired."""
    late = []
    for entry in status:
        due = datetime.fromisoformat(entry["latestDue"]).replace(tzinfo=None)
        age = (now - due).total_seconds()
        if slack < age <= grace and entry["lastRun"] != entry["latestDue"]:
            late.append(entry["name"])
    return late


__all__ = ["Schedule", "Scheduler", "fire_due", "latest_due", "next_due", "overdue", "schedule_status",
           "schedules_from_settings"]
