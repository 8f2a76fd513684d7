"""The cache service on a real Redis: namespaces, SCAN invalidation, fallback and recovery."""
from __future__ import annotations

import pickle
import time

import pytest

from app.adapters import cache as cache_service
from app.adapters import redis as redis_adapter
from app.adapters.cache import get_cache
from tests.support.servers import RedisServer


def test_memory_backend_when_no_redis(app):
    with app.app_context():
        cache = get_cache()
        assert cache.backend == "memory"
        cache.set("mdm", "k", {"v": 1})
        assert cache.get("mdm", "k") == {"v": 1}
        assert cache.clear_namespace("mdm") == 1 and cache.get("mdm", "k") is None


def test_memory_fallback_is_bounded_in_bytes_not_only_items(make_app, monkeypatch):
    monkeypatch.setattr(cache_service, "FALLBACK_MAX_BYTES", 1024 ** 2)
    app = make_app()
    with app.app_context():
        cache = get_cache()
        store = cache._fallback.cache._cache  # the per-worker dict of pickled values

        def stored_bytes() -> int:
            return sum(len(key) + len(item[1]) for key, item in store.items())

        for i in range(50):  # 50 x 100 KB, far below the 2,000-item bound: 5 MB without a byte bound
            cache.set("magento", f"page{i}", "x" * 100_000, ttl=60)
            assert stored_bytes() <= 1024 ** 2
        assert cache.get("magento", "page49") == "x" * 100_000  # the newest values stay
        assert cache.get("magento", "page0") is None  # the oldest made room
        cache.set("magento", "huge", "y" * 2 * 1024 ** 2, ttl=60)  # larger than the whole bound: not kept
        assert cache.get("magento", "huge") is None and stored_bytes() <= 1024 ** 2
        assert cache.clear_namespace("magento") > 0 and stored_bytes() == 0 == cache._fallback.cache.nbytes


class _Unpicklable:
    def __reduce__(self) -> str:
        raise pickle.PicklingError("not picklable")


def test_an_unpicklable_value_is_skipped_by_the_memory_fallback(app):
    with app.app_context():
        cache = get_cache()
        cache.set("mdm", "odd", _Unpicklable())  # cachelib logs the PicklingError: nothing stored, no error
        assert cache.get("mdm", "odd") is None and cache._fallback.cache.nbytes == 0


def test_redis_namespaces_and_scan_clear(make_app, redis_url):
    import redis

    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        cache = get_cache()
        cache.clear_namespace("t1")
        cache.clear_namespace("t2")
        for i in range(1200):  # more than one SCAN batch
            cache.set("t1", f"k{i}", i, ttl=60)
        cache.set("t2", "keep", "yes", ttl=60)
        assert cache.backend == "redis" and cache.get("t1", "k7") == 7
        raw = redis.Redis.from_url(redis_url)
        assert raw.exists("techno-etl:t1:k7") and 0 < raw.ttl("techno-etl:t1:k7") <= 60
        assert cache.clear_namespace("t1") == 1200
        assert cache.get("t1", "k7") is None and cache.get("t2", "keep") == "yes"


def test_get_or_set_computes_once(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url)
    calls = []
    with app.app_context():
        cache = get_cache()
        cache.clear_namespace("gos")
        for _ in range(3):
            assert cache.get_or_set("gos", "x", lambda: calls.append(1) or 42) == 42
    assert len(calls) == 1


@pytest.mark.slow
def test_redis_dies_requests_keep_answering_and_recover(make_app, auth, redis_url, monkeypatch):
    monkeypatch.setattr(redis_adapter, "PROBE_INTERVAL", 0.3)
    with RedisServer() as server:
        app = make_app(REDIS_URL=server.url)
        client = app.test_client()
        with app.app_context():
            cache = get_cache()
            cache.set("probe", "a", 1)
            assert cache.backend == "redis"
            server.kill()
            started = time.monotonic()
            cache.set("probe", "b", 2)  # fails over on the first error, within the socket timeout
            assert time.monotonic() - started < 1.5
            assert cache.backend == "memory" and cache.get("probe", "b") == 2
        for _ in range(5):
            assert client.get("/api/test", headers=auth("viewer")).status_code == 200
        stats = client.get("/api/metrics/cache", headers=auth("viewer")).get_json()
        assert stats["backend"] == "memory" and stats["fallbackSwitches"] >= 1 and stats["errors"] >= 1
        health = client.get("/api/health/detailed", headers=auth("viewer"))
        assert health.status_code == 200 and health.get_json()["checks"]["redis:responseTime"][0]["status"] == "warn"
        server.start()  # same port
        time.sleep(0.4)
        with app.app_context():
            cache.set("probe", "c", 3)  # the probe is due: back on Redis
            assert cache.backend == "redis"
        import redis

        assert redis.Redis.from_url(server.url).exists("techno-etl:probe:c")
