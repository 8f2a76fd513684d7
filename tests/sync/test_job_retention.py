"""Bounded growth (issue 15 item 8): finished jobs older than JOB_RETENTION_DAYS are pruned by a scheduled
job, and a price job's record keeps counts and the failed items, not every row."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from app.adapters.appdb import get_app_engine
from app.adapters.appdb_tables import jobs as jobs_table
from app.adapters.appdb_tables import schedule_runs
from app.services.jobs import store
from app.services.sync.scheduler import fire_due, schedules_from_settings
from config.current import get_settings
from tests.sync.conftest import run_job

NOW = store.utcnow().replace(microsecond=0)


def _job(engine, status: str, finished_days_ago: float | None) -> int:
    job_id = store.enqueue(engine, "prices", {"items": []}, now=NOW - timedelta(days=60))
    values = {"status": status}
    if finished_days_ago is not None:
        values["finished_at"] = NOW - timedelta(days=finished_days_ago)
    with engine.begin() as conn:
        conn.execute(update(jobs_table).where(jobs_table.c.id == job_id).values(**values))
    return job_id


def _ids(engine) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(select(jobs_table.c.id)).scalars())


def test_prune_deletes_only_finished_jobs_older_than_the_cutoff(make_app, tmp_path):
    app = make_app(APP_DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite3'}")
    engine = get_app_engine(app)
    old = [_job(engine, s, 40) for s in ("succeeded", "partial", "failed")]
    keep = [_job(engine, "succeeded", 5), _job(engine, "pending", None), _job(engine, "running", None),
            _job(engine, "waiting", None)]
    with engine.begin() as conn:
        for name, days in (("prices", 50), ("prices", 45), ("stocks", 90)):
            conn.execute(insert(schedule_runs).values(name=name, due_at=NOW - timedelta(days=days),
                                                      fired_at=NOW, fired_by="test"))
    deleted = store.prune_finished(engine, NOW - timedelta(days=30))
    assert deleted == {"jobs": 3, "scheduleRuns": 1}
    assert _ids(engine) == set(keep) and not set(old) & _ids(engine)
    with engine.connect() as conn:  # each schedule keeps its latest run (the schedule table shows it)
        left = sorted(conn.execute(select(schedule_runs.c.name)).scalars())
    assert left == ["prices", "stocks"]


def test_the_scheduler_fires_the_pruning_job_which_applies_the_retention(make_app, tmp_path):
    app = make_app(APP_DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite3'}", JOB_RETENTION_DAYS=10,
                   SYNC_SCHEDULE_PRUNE="0 * * * *")
    engine = get_app_engine(app)
    old, recent = _job(engine, "succeeded", 11), _job(engine, "failed", 9)
    settings = get_settings(app)
    prune = [s for s in schedules_from_settings(settings) if s.name == "prune"]
    assert prune and prune[0].kind == "jobs.prune"
    fired = fire_due(engine, prune, now=NOW.replace(minute=0, second=0) + timedelta(seconds=5),
                     tz=ZoneInfo("UTC"), grace=3600, owner="test", max_attempts=1)
    assert len(fired) == 1 and fired[0][2] is not None
    from app.services import jobs

    try:
        record = jobs.get_jobs(app).runner().run_inline(fired[0][2])
    finally:
        jobs.get_jobs(app).runner().stop(timeout=5)
    assert record.status == "succeeded" and record.result["jobs"] == 1
    assert old not in _ids(engine) and recent in _ids(engine)


def test_no_pruning_schedule_when_history_is_kept_forever(make_app):
    settings = get_settings(make_app(JOB_RETENTION_DAYS=0))
    assert "prune" not in {s.name for s in schedules_from_settings(settings)}


def test_a_price_job_record_keeps_counts_and_failed_items_not_every_row(make_app, tmp_path, monkeypatch):
    from app.services.sync import prices

    monkeypatch.setattr(prices, "MAX_FAILED_ITEMS", 3)
    app = make_app(APP_DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite3'}")
    # Rows without a price fail before any Magento call: 10 failures, 3 kept in the record.
    record = run_job(app, "prices", {"items": [{"sku": f"S-{i}", "price": None} for i in range(10)]})
    from app.services import jobs

    jobs.get_jobs(app).runner().stop(timeout=5)
    assert record.result["failed"] == 10 and record.result["total"] == 10
    assert len(record.result["results"]) == 3 and record.result["resultsTruncated"] is True
    assert all(r["status"] == "failed" for r in record.result["results"])
