"""The snapshot schedules: incremental every SNAPSHOT_SCHEDULE, full every SNAPSHOT_SCHEDULE_FULL (never
skipped because an incremental build is open), bad cron expressions refused at start."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.adapters.appdb import get_app_engine
from app.services.sync.background import get_sync
from app.services.sync.scheduler import fire_due

UTC = ZoneInfo("UTC")


def _fire(app, now: datetime):
    schedules = [s for s in get_sync(app).schedules if s.kind == "snapshots"]
    return {name: job for name, _due, job in fire_due(get_app_engine(app), schedules, now=now, tz=UTC,
                                                       grace=3600, owner="test", max_attempts=3)}


def test_the_snapshot_schedules_come_from_the_settings(snap_app):
    app = snap_app(SNAPSHOT_SCHEDULE="*/5 * * * *", SNAPSHOT_SCHEDULE_FULL="0 4 * * *")
    schedules = {s.name: s for s in get_sync(app).schedules}
    assert schedules["snapshots"].cron == "*/5 * * * *"
    assert schedules["snapshots"].params == {"full": False, "groups": ["catalog", "sales"]}
    assert (schedules["snapshots-full"].cron, schedules["snapshots-full"].params) == ("0 4 * * *", {"full": True})
    off = snap_app(SNAPSHOT_SCHEDULE="", SNAPSHOT_SCHEDULE_FULL="")
    assert not [s for s in get_sync(off).schedules if s.kind == "snapshots"]


def test_each_occurrence_queues_one_build_and_the_daily_full_one_is_never_skipped(snap_app):
    from app.services import jobs

    app = snap_app(SNAPSHOT_SCHEDULE="*/15 * * * *", SNAPSHOT_SCHEDULE_FULL="30 3 * * *")
    fired = _fire(app, datetime(2026, 11, 29, 3, 15, 10))
    assert set(fired) == {"snapshots"} and fired["snapshots"] is not None
    assert _fire(app, datetime(2026, 11, 29, 3, 15, 40)) == {}  # the same occurrence fires once
    # 03:30: the incremental build is still open, so its occurrence queues nothing; the full one does.
    fired = _fire(app, datetime(2026, 11, 29, 3, 30, 5))
    assert fired["snapshots"] is None and fired["snapshots-full"] is not None
    with app.app_context():
        full = jobs.get_jobs().get_job(fired["snapshots-full"])
    assert full.params["full"] is True and full.requested_by == "schedule:snapshots-full"


def test_a_bad_snapshot_cron_stops_the_start_with_its_name(snap_app):
    with pytest.raises(ValueError, match="SNAPSHOT_SCHEDULE_FULL"):
        snap_app(SNAPSHOT_SCHEDULE_FULL="every night")
