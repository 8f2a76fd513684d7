"""The lease/claim/lock SQL and the exactly-once schedule insert, raced by threads on SQLite and PostgreSQL."""
from __future__ import annotations

import os
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, func, select, text

from app.adapters.appdb import upgrade_schema
from app.adapters.appdb_tables import jobs, schedule_runs
from app.adapters.sql import create_engine_for
from app.services.jobs import store
from app.services.sync.scheduler import Schedule, fire_due, latest_due, next_due
from tests.conftest import require_service

NOW = datetime(2026, 3, 1, 12, 0, 30)


@pytest.fixture(params=["sqlite", "postgresql"])
def appdb(request, tmp_path):
    if request.param == "sqlite":
        engine = create_engine_for(f"sqlite:///{tmp_path / 'app.sqlite3'}", name="app_database")
        upgrade_schema(engine, str(tmp_path / "run"))
        yield engine
        engine.dispose()
        return
    url = require_service("postgres")
    schema = f"jobs_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(url, pool_size=10, connect_args={"options": f"-c search_path={schema}"})
    try:
        upgrade_schema(engine, str(tmp_path / "run"))
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_racing_claims_take_each_job_exactly_once(appdb):
    ids = [store.enqueue(appdb, "k", {"n": i}, now=NOW) for i in range(30)]

    def worker(n: int) -> list[int]:
        won = []
        while (record := store.claim(appdb, f"owner{n}", 30, now=NOW)) is not None:
            won.append(record.id)
        return won

    with ThreadPoolExecutor(8) as pool:
        claimed = [i for part in pool.map(worker, range(8)) for i in part]
    assert sorted(claimed) == ids and max(Counter(claimed).values()) == 1


def test_an_expired_lease_is_reaped_requeued_and_resumed_by_another_worker(appdb):
    job_id = store.enqueue(appdb, "k", {}, max_attempts=2, now=NOW)
    first = store.claim(appdb, "dead-worker", 5, now=NOW)
    assert first.id == job_id and first.status == "running" and first.attempts == 1
    assert store.claim(appdb, "other", 5, now=NOW) is None          # leased
    assert store.reap_expired(appdb, now=NOW + timedelta(seconds=3)) == 0
    assert store.reap_expired(appdb, now=NOW + timedelta(seconds=6)) == 1
    assert store.get_job(appdb, job_id).status == "interrupted"
    second = store.claim(appdb, "other", 5, now=NOW + timedelta(seconds=6))
    assert second.lease_owner == "other" and second.attempts == 2
    assert not store.heartbeat(appdb, job_id, "dead-worker", 5, now=NOW + timedelta(seconds=7))
    assert store.heartbeat(appdb, job_id, "other", 5, state={"progress": {"done": 1}},
                           now=NOW + timedelta(seconds=7))
    store.reap_expired(appdb, now=NOW + timedelta(seconds=60))       # the second worker dies too
    assert store.get_job(appdb, job_id).status == "failed"           # max attempts reached


def test_graceful_release_requeues_without_spending_an_attempt(appdb):
    job_id = store.enqueue(appdb, "k", {}, now=NOW)
    store.claim(appdb, "w", 30, now=NOW)
    assert store.release(appdb, job_id, "w", message="stopping", count_attempt=False, now=NOW)
    record = store.get_job(appdb, job_id)
    assert record.status == "interrupted" and record.attempts == 0 and record.lease_owner is None


def test_a_lock_has_one_holder_until_it_expires(appdb):
    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(lambda n: store.acquire_lock(appdb, "stock-source:1", n, f"o{n}", 10, now=NOW),
                            range(8)))
    assert won.count(True) == 1
    holder = store.lock_holder(appdb, "stock-source:1", now=NOW)
    assert store.acquire_lock(appdb, "stock-source:1", holder, f"o{holder}", 10, now=NOW)  # re-entrant
    other = (holder + 1) % 8
    assert not store.acquire_lock(appdb, "stock-source:1", other, "x", 10, now=NOW + timedelta(seconds=5))
    assert store.acquire_lock(appdb, "stock-source:1", other, "x", 10, now=NOW + timedelta(seconds=11))


def test_a_stale_copy_of_a_resumed_job_neither_reenters_nor_releases_the_lock(appdb):
    assert store.acquire_lock(appdb, "stock-source:2", 7, "host-a", 10, now=NOW)
    # host-a lost its lease; the job was resumed by host-b once the lock expired
    assert store.acquire_lock(appdb, "stock-source:2", 7, "host-b", 10, now=NOW + timedelta(seconds=11))
    assert not store.acquire_lock(appdb, "stock-source:2", 7, "host-a", 10, now=NOW + timedelta(seconds=12))
    store.release_lock(appdb, "stock-source:2", 7, "host-a")  # the stale copy's finally: must not free it
    assert store.lock_holder(appdb, "stock-source:2", now=NOW + timedelta(seconds=12)) == 7
    assert not store.acquire_lock(appdb, "stock-source:2", 8, "host-c", 10, now=NOW + timedelta(seconds=12))


def test_each_due_occurrence_fires_exactly_once_across_racing_schedulers(appdb):
    schedules = [Schedule("prices", "0 */6 * * *", "prices", {"items": None}),
                 Schedule("stocks", "* * * * *", "stocks", {"merge": True})]
    tz = ZoneInfo("UTC")

    def tick(n: int) -> int:
        return len(fire_due(appdb, schedules, now=NOW, tz=tz, grace=3600, owner=f"host{n}", max_attempts=3))

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(tick, range(8))) == 2
    with appdb.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schedule_runs)).scalar_one() == 2
        assert conn.execute(select(func.count()).select_from(jobs)).scalar_one() == 2
    # one minute later: only the per-minute schedule is due again; its previous job is still queued
    later = fire_due(appdb, schedules, now=NOW + timedelta(minutes=1), tz=tz, grace=3600, owner="h",
                     max_attempts=3)
    assert [(name, job) for name, _due, job in later] == [("stocks", None)]


def test_a_run_missed_beyond_the_grace_window_is_skipped_not_backlogged(appdb):
    schedules = [Schedule("full", "0 2 * * *", "stocks", {"full": True})]
    tz = ZoneInfo("UTC")
    assert fire_due(appdb, schedules, now=datetime(2026, 3, 1, 2, 30), tz=tz, grace=3600, owner="h",
                    max_attempts=3)
    assert not fire_due(appdb, schedules, now=datetime(2026, 3, 3, 9, 0), tz=tz, grace=3600, owner="h",
                        max_attempts=3)


def test_cron_is_read_in_the_configured_time_zone():
    paris = ZoneInfo("Europe/Paris")
    assert latest_due("0 2 * * *", datetime(2026, 1, 15, 1, 30), paris) == datetime(2026, 1, 15, 1, 0)
    assert next_due("0 */6 * * *", datetime(2026, 1, 15, 1, 30), ZoneInfo("UTC")) == datetime(2026, 1, 15, 6, 0)
