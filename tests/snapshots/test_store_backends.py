"""The app-database snapshot store on every supported database (SQLite, PostgreSQL, MariaDB), created by
migration 0004_snapshots: upsert by name, large payloads (a big shop's working set), the index."""
from __future__ import annotations

import random
from datetime import datetime

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from app.adapters.appdb import get_app_engine
from app.adapters.snapshot_store import LayeredSnapshotStore, RedisSnapshotStore, Snapshot, SqlSnapshotStore
from tests.conftest import require_service
from tests.voting.conftest import _dedicated_database


@pytest.fixture(params=("sqlite", "postgres", "mariadb"))
def store(request, make_app, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    else:
        url = _dedicated_database(require_service(request.param), "techno_etl_snapshots_test")
    app = make_app(APP_DATABASE_URL=url)  # the migrations run at start
    yield SqlSnapshotStore(get_app_engine(app))
    get_app_engine(app).dispose()


def test_a_snapshot_is_upserted_by_name_and_a_large_one_round_trips(store):
    rng = random.Random(3)
    # ~240,000 source items: [quantity, status] per (source, SKU), as the job's working set keeps them.
    big = {f"src{s}": {f"SKU{n:06d}": [rng.randint(0, 500), rng.randint(0, 1)] for n in range(20_000)}
           for s in range(12)}
    first = Snapshot("_test/big", big, datetime(2026, 11, 29, 10, 0), datetime(2026, 11, 29, 10, 5), 7)
    store.put(first)
    nine, eleven = datetime(2026, 11, 29, 9), datetime(2026, 11, 29, 11)
    store.put(Snapshot("_test/rows", [{"name": "a", "value": 1}], nine, nine, 1))
    store.put(Snapshot("_test/rows", [{"name": "b", "value": 2}], eleven, eleven, 2))
    got = store.get("_test/big")
    assert got.data == big and got.as_of == first.as_of and got.job_id == 7 and got.size > 100_000
    rows = store.get("_test/rows")
    assert rows.data == [{"name": "b", "value": 2}] and rows.job_id == 2 and rows.as_of == eleven
    index = {s.name: s for s in store.index()}
    assert {"_test/big", "_test/rows"} <= set(index) and index["_test/big"].data is None
    assert store.get("_test/none") is None


class _DeadRedis:
    """A Redis client whose every call fails, counting the attempts."""

    def __init__(self) -> None:
        self.calls = 0

    def get(self, *_args):
        self.calls += 1
        raise RedisConnectionError("down")

    set = get


def test_a_dead_redis_is_skipped_for_the_probe_interval_and_the_app_database_answers(make_app, tmp_path):
    app = make_app(APP_DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite3'}")
    durable, dead = SqlSnapshotStore(get_app_engine(app)), _DeadRedis()
    store = LayeredSnapshotStore(RedisSnapshotStore(dead), durable, probe_interval=60)
    now = datetime(2026, 11, 29, 12)
    store.put(Snapshot("_test/rows", [1, 2], now, now, 1))  # the app database takes it; Redis fails
    assert dead.calls == 1 and durable.get("_test/rows").data == [1, 2]
    for _ in range(5):
        assert store.get("_test/rows").data == [1, 2]
    assert dead.calls == 1  # no Redis timeout paid per read while it is known down
    store._skip_until = 0.0  # the probe interval is over: Redis is tried again
    assert store.get("_test/rows").data == [1, 2] and dead.calls == 2
