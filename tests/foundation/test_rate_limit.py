"""The rate limiter hook (app/ratelimit.py): Flask-Limiter's keys, headers and 429s, and its memory fallback."""
from __future__ import annotations

import logging
import time

import redis

from app.ratelimit import RateLimiter


def test_counts_per_route_in_redis_under_flask_limiters_keys(make_app, auth, redis_url):
    client = make_app(RATE_LIMIT="3 per minute", REDIS_URL=redis_url).test_client()
    key = "LIMITS:LIMITER/techno-etl-rl/127.0.0.1/core.smoke_test/3/1/minute"
    other_key = "LIMITS:LIMITER/techno-etl-rl/127.0.0.1/docs.openapi_json/3/1/minute"
    store = redis.Redis.from_url(redis_url)
    store.delete(key, other_key)  # a rerun within the minute starts from empty windows
    try:
        answers = [client.get("/api/test", headers=auth("viewer")) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert all(0 < int(a.headers["RateLimit-Reset"]) <= 60 for a in answers)
        assert "Retry-After" not in answers[0].headers and 0 <= int(answers[3].headers["Retry-After"]) <= 60
        assert answers[3].get_json()["message"] == "Rate limit exceeded: 3 per 1 minute."
        time.sleep(0.15)  # the write-behind interval: the next hit flushes what was counted locally
        client.get("/api/test", headers=auth("viewer"))
        assert int(store.get(key)) >= 4
        other = client.get("/api/openapi.json", headers=auth("viewer"))
        assert other.headers.get("RateLimit-Remaining") == "2"  # each route counts on its own
    finally:
        store.delete(key, other_key)


def test_an_unreachable_redis_counts_in_memory_and_warns_once(make_app, auth, caplog):
    client = make_app(RATE_LIMIT="3 per minute", REDIS_URL="redis://127.0.0.1:1/0", REDIS_TIMEOUT=0.2).test_client()
    with caplog.at_level(logging.WARNING, logger="app.ratelimit"):
        statuses = [client.get("/api/test", headers=auth("viewer")).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert sum("falling back to in-memory" in r.getMessage() for r in caplog.records) == 1


def test_a_failed_storage_is_tried_again_after_its_back_off(monkeypatch):
    limiter = RateLimiter(True, "5 per minute", "memory://")
    limiter._storage_failed(ConnectionError("down"))
    assert limiter._current() is limiter.fallback  # within the back-off: no attempt
    limiter._retry_at = time.monotonic() - 1
    monkeypatch.setattr(limiter.storage, "check", lambda: False)
    assert limiter._current() is limiter.fallback and limiter._failures == 2  # still down: longer back-off
    limiter._retry_at = time.monotonic() - 1
    monkeypatch.setattr(limiter.storage, "check", lambda: True)
    assert limiter._current() is limiter.storage and limiter._failures == 0


def test_disabled_limiter_counts_nothing_and_sends_no_headers(make_app, auth):
    client = make_app(RATE_LIMIT="1 per minute", RATE_LIMIT_ENABLED=False).test_client()
    answers = [client.get("/api/test", headers=auth("viewer")) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert "RateLimit-Limit" not in answers[0].headers


def test_one_hit_counts_like_limits_fixed_window_with_the_same_keys():
    from limits.storage import MemoryStorage
    from limits.strategies import FixedWindowRateLimiter

    from app.ratelimit import KEY_PREFIX, _rule

    rule = _rule("3 per minute; 2 per second")
    ours, reference = MemoryStorage(), FixedWindowRateLimiter(MemoryStorage())
    ids = (KEY_PREFIX, "10.0.0.7", "api.test")
    for _ in range(5):
        breached, shown, reset_at, remaining = RateLimiter._hit(ours, rule, "/".join(ids))
        expected_shown = next((item for item in rule.items if not reference.hit(item, *ids)), None)
        assert breached is (expected_shown is not None)
        shown_ref = expected_shown or rule.items[0]
        stats = reference.get_window_stats(shown_ref, *ids)
        assert shown == shown_ref and remaining == stats.remaining and abs(reset_at - stats.reset_time) < 1
    assert sorted(ours.storage) == sorted(item.key_for(*ids) for item in rule.items)  # the same storage keys
    assert dict(ours.storage) == dict(reference.storage.storage)  # and the same counts
