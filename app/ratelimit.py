"""The rate limiter: one before_request hook calling `limits` (fixed windows per client address and route).

RATE_LIMIT applies to every route, each route counting on its own; a blueprint may have its own limits
instead (the login routes: LOGIN_RATE_LIMIT) or none (probes and metrics). Counters live in Redis when
REDIS_URL is set (app/adapters/ratelimit_storage.py keeps them off the request's critical path), else in
memory; when Redis fails, the limiter counts in memory and tries Redis again after a back-off. Keys, the
`RateLimit-*` headers and the 429 envelope are the ones Flask-Limiter produced, which this replaces:
its generic per-request machinery cost more than the counting itself (docs/benchmarks.md).
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string

from app.errors import RateLimited

if TYPE_CHECKING:
    from config import Settings

log = logging.getLogger(__name__)
KEY_PREFIX = "techno-etl-rl"  # Flask-Limiter's RATELIMIT_KEY_PREFIX: the same Redis keys as before
RETRY_BACKOFF_MAX = 60.0  # seconds between two attempts to go back to a failed storage, at most


@dataclass(frozen=True)
class _Rule:
    items: tuple[RateLimitItem, ...]  # sorted as Flask-Limiter checked them: the shortest window first
    message: str | None  # the 429's description, else the breached limit ("3 per 1 minute")
    # Per item, the parts of its storage key around the caller's identifiers: `item.key_for(*ids)` is
    # f"{before}{'/'.join(ids)}{after}", built once here rather than twice per item per request.
    keys: tuple[tuple[str, str], ...] = ()


class RateLimiter:
    """Per-app limiter state: the rules, the storage and its in-memory fallback."""

    def __init__(self, enabled: bool, default_limit: str, storage_uri: str,
                 storage_options: dict[str, Any] | None = None) -> None:
        self.enabled = enabled
        self.default = _rule(default_limit)
        self.storage = storage_from_string(storage_uri, **(storage_options or {}))
        self.fallback: Storage = MemoryStorage()
        self.blueprint_rules: dict[str, _Rule | None] = {}  # None: exempt
        self._failures = 0
        self._retry_at = 0.0

    def limit_blueprint(self, name: str, limit: str, message: str | None = None) -> None:
        self.blueprint_rules[name] = _rule(limit, message)

    def exempt_blueprint(self, name: str) -> None:
        self.blueprint_rules[name] = None

    def check(self) -> None:
        """before_request hook: count this request; RateLimited (429) when a window is full."""
        req = request._get_current_object()  # type: ignore[attr-defined]
        endpoint = req.endpoint
        if not self.enabled or not endpoint:
            return  # unknown URLs fall through to the 404 handler uncounted
        rule = self.blueprint_rules.get(req.blueprint or "", self.default)
        if rule is None:
            return
        client = req.remote_addr or "127.0.0.1"
        identifiers = f"{KEY_PREFIX}/{client}/{endpoint}"
        try:
            breached, shown, reset_at, remaining = self._hit(self._current(), rule, identifiers)
        except Exception as exc:  # storage unreachable: count in memory until it is back
            self._storage_failed(exc)
            breached, shown, reset_at, remaining = self._hit(self.fallback, rule, identifiers)
        g.rate_limit = (shown.amount, remaining, reset_at)
        if breached:
            log.info("ratelimit %s (%s) exceeded at endpoint: %s", shown, client, endpoint)
            retry_after = str(max(0, int(reset_at - time.time())))
            raise RateLimited(f"Rate limit exceeded: {rule.message or shown}.", headers={"Retry-After": retry_after})

    @staticmethod
    def _hit(storage: Storage, rule: _Rule, identifiers: str) -> tuple[bool, RateLimitItem, float, int]:
        """`limits`' FixedWindowRateLimiter.hit per item, then get_window_stats of the item shown, with the
        count the increment returned instead of a second read of it: one key build and two storage calls."""
        shown_key = ""
        for item, (before, after) in zip(rule.items, rule.keys, strict=True):
            key = f"{before}{identifiers}{after}"
            count = storage.incr(key, item.get_expiry(), amount=1)
            if not shown_key:
                shown, shown_key, shown_count = item, key, count
            if count > item.amount:
                shown, shown_key, shown_count = item, key, count
                break
        breached = shown_count > shown.amount
        return breached, shown, storage.get_expiry(shown_key), max(0, shown.amount - shown_count)

    def _current(self) -> Storage:
        if not self._failures:
            return self.storage
        if time.monotonic() < self._retry_at:
            return self.fallback
        if self.storage.check():
            log.info("Rate limit storage recovered")
            self._failures = 0
            return self.storage
        self._back_off()
        return self.fallback

    def _storage_failed(self, exc: Exception) -> None:
        if not self._failures:
            log.warning("Rate limit storage unreachable - falling back to in-memory storage: %s", exc)
        self._back_off()

    def _back_off(self) -> None:
        self._failures += 1
        self._retry_at = time.monotonic() + min(RETRY_BACKOFF_MAX, 2.0 ** self._failures)


def _rule(limit: str, message: str | None = None) -> _Rule:
    items = tuple(sorted(parse_many(limit)))
    keys = tuple((f"{item.namespace}/", f"/{item.amount}/{item.multiples}/{item.GRANULARITY.name}") for item in items)
    return _Rule(items, message, keys)


def add_headers(response: Response) -> Response:
    """after_request hook: RateLimit-Limit, -Remaining and -Reset (seconds) of the limit that counted."""
    counted = g.get("rate_limit")
    if counted is not None:
        amount, remaining, reset_at = counted
        # Only this hook sets them: added without a search for an earlier value.
        headers = response.headers
        headers.add("RateLimit-Limit", str(amount))
        headers.add("RateLimit-Remaining", str(remaining))
        headers.add("RateLimit-Reset", str(max(0, math.ceil(reset_at - time.time()))))
    return response


def init_app(app: Flask, settings: Settings) -> RateLimiter:
    from app.adapters import ratelimit_storage  # noqa: F401  (registers the techno-etl+redis scheme)
    from app.adapters.redis import socket_options

    cache = settings.cache
    if cache.redis_url:
        uri, options = f"techno-etl+{cache.redis_url}", socket_options(cache.redis_timeout)
    else:
        uri, options = "memory://", {}
    limiter = RateLimiter(settings.http.rate_limit_enabled, settings.http.rate_limit, uri, options)
    app.extensions["limiter"] = limiter
    app.before_request(limiter.check)
    app.after_request(add_headers)
    return limiter
