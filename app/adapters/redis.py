"""Redis connections with short timeouts, so a dead Redis costs a request ~200 ms, never a hang."""
from __future__ import annotations

from typing import Any

import redis
from flask import current_app

from config.current import get_settings

# Seconds between probes of a Redis that failed, by every Redis user that falls back while it is down (the cache,
# the login budget, breaker and snapshot stores): often enough to come back within seconds, rare enough that a
# dead Redis costs one bounded timeout per worker every few seconds. Tests patch it to recover faster.
PROBE_INTERVAL = 5.0


def redis_from_url(url: str, timeout: float) -> redis.Redis:
    """A client whose every socket operation (connect included) is bounded by `timeout`."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
        retry_on_timeout=False,
    )


def get_redis() -> redis.Redis | None:
    """The app's shared Redis client, or None when REDIS_URL is not configured."""
    return current_app.extensions.get("redis")


def init_app(app: Any) -> None:
    cache = get_settings(app).cache
    app.extensions["redis"] = redis_from_url(cache.redis_url, cache.redis_timeout) if cache.redis_url else None
