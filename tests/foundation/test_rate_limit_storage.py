"""The write-behind Redis rate-limit storage: shared counts across processes, bounded staleness."""
from __future__ import annotations

import time

import pytest
import redis

from app.adapters.ratelimit_storage import SYNC_INTERVAL, LeanRedisStorage


@pytest.fixture
def storages(redis_url):
    uri = "techno-etl+" + redis_url
    first, second = LeanRedisStorage(uri), LeanRedisStorage(uri)  # two "workers"
    key = f"test-{time.time_ns()}"
    yield first, second, key
    redis.Redis.from_url(redis_url).delete(f"LIMITS:{key}")


def test_counts_locally_between_syncs_and_flushes_to_redis(storages, redis_url):
    first, _, key = storages
    assert first.incr(key, 60) == 1  # first hit of a window goes to Redis
    assert [first.incr(key, 60) for _ in range(4)] == [2, 3, 4, 5]  # then counted locally
    assert first.get(key) == 5 and 55 <= first.get_expiry(key) - time.time() <= 60
    time.sleep(SYNC_INTERVAL + 0.02)
    assert first.incr(key, 60) == 6  # the pending hits are written behind in one INCRBY
    assert int(redis.Redis.from_url(redis_url).get(f"LIMITS:{key}")) == 6


def test_other_workers_see_each_others_hits_within_the_sync_interval(storages):
    first, second, key = storages
    for _ in range(10):
        first.incr(key, 60)
    time.sleep(SYNC_INTERVAL + 0.02)
    first.incr(key, 60)  # flush
    assert second.incr(key, 60) == 12  # the second worker's first hit reads the shared total


def test_a_new_window_starts_from_zero(storages):
    first, _, key = storages
    first.incr(key, 1)
    first.incr(key, 1)
    time.sleep(1.1)
    assert first.incr(key, 1) == 1
