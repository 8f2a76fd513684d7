"""Redis connections with short timeouts, so a dead Redis costs a request ~200 ms, never a hang."""
from __future__ import annotations

from typing import TYPE_CHECKING

import redis
from flask import Flask, current_app

if TYPE_CHECKING:
    from config import Settings

EXTENSION_KEY = "redis"


def socket_options(timeout: float) -> dict[str, float]:
    """The socket bounds of every Redis connection (this client, the cache's, the rate limiter's)."""
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout}


# Seconds between probes of a Redis that failed, by every Redis user that falls back while it is down (the cache,
# the login budget, breaker and snapshot stores): often enough to come back within seconds, rare enough that a
# dead Redis costs one bounded timeout per worker every few seconds. Tests patch it to recover faster.
PROBE_INTERVAL = 5.0


def redis_from_url(url: str, timeout: float) -> redis.Redis:
    """A client whose every socket operation (connect included) is bounded by `timeout`."""
    return redis.Redis.from_url(url, **socket_options(timeout), health_check_interval=30, retry_on_timeout=False)


def get_redis(app: Flask | None = None) -> redis.Redis | None:
    """The app's shared Redis client, or None when REDIS_URL is not configured."""
    client: redis.Redis | None = (app or current_app).extensions[EXTENSION_KEY]
    return client


def init_app(app: Flask, settings: Settings) -> redis.Redis | None:
    """The shared client (None without REDIS_URL): the rate limiter, breakers and snapshots use it."""
    client = (redis_from_url(settings.cache.redis_url, settings.cache.redis_timeout)
              if settings.cache.redis_url else None)
    app.extensions[EXTENSION_KEY] = client
    return client
