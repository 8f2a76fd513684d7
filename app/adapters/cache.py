"""The one cache interface: namespaced keys with TTL tiers, Redis first, bounded memory fallback.

Built on Flask-Caching backends. When Redis fails the service switches to a per-worker memory cache
bounded in items and bytes (logged once), probes Redis every PROBE_INTERVAL seconds and switches back by itself.
Namespace invalidation uses SCAN (never KEYS or FLUSHDB); a namespace cleared while on the fallback is
cleared in Redis too when Redis comes back, so no stale value resurfaces. Every clear also bumps the
namespace's generation: `lookup` reads it with the value, and `fill` stores only if it has not moved, so a
fill computed before an invalidation (or run after the answer was sent) never brings stale data back.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from flask_caching import Cache
from flask_caching.backends.simplecache import SimpleCache
from redis.exceptions import RedisError

from app.adapters import redis as redis_adapter
from app.adapters.redis import socket_options
from app.telemetry import counter, gauge

if TYPE_CHECKING:
    from config import Settings
    from config.sections import CacheSettings

log = logging.getLogger(__name__)
KEY_PREFIX = "techno-etl:"
# The per-worker fallback while Redis is down: bounded in items and bytes (pickled keys and values; a larger
# value is not cached), and short-lived so a worker never serves a value much older than Redis would.
FALLBACK_MAX_ITEMS = 2000
FALLBACK_MAX_BYTES = 64 * 1024 ** 2
FALLBACK_MAX_TTL = 60

CACHE_OPS = counter("cache_operations_total", "Cache operations by result.", ("namespace", "op", "result"))
CACHE_SWITCHES = counter("cache_backend_switches_total", "Switches between Redis and the fallback.", ("to",))
CACHE_ON_FALLBACK = gauge("cache_fallback_active", "Workers whose cache runs on the in-memory fallback.",
                          mode="livesum")
_MISSING = object()
GENERATION_PREFIX = f"{KEY_PREFIX}_gen:"  # outside every namespace's `prefix:namespace:*` pattern
# SET the value only while the namespace generation is the one read at lookup (atomic in Redis).
_FILL_SCRIPT = """
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[3] then return 0 end
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
else redis.call('SET', KEYS[1], ARGV[1]) end
return 1
"""


@dataclass(frozen=True)
class Generation:
    """A namespace's invalidation count as read by `lookup`, on the backend that answered it."""

    backend: str  # "redis" | "memory"
    value: int


class _SizedStore(dict):
    """SimpleCache's key -> (expires, pickled value) dict, keeping the total size of keys and values."""

    def __init__(self) -> None:
        super().__init__()
        self.nbytes = 0

    @staticmethod
    def _size(key: str, item: tuple[float, bytes]) -> int:
        return len(key) + len(item[1])

    def __setitem__(self, key: str, item: tuple[float, bytes]) -> None:
        old = super().get(key)
        if old is not None:
            self.nbytes -= self._size(key, old)
        super().__setitem__(key, item)
        self.nbytes += self._size(key, item)

    def __delitem__(self, key: str) -> None:
        self.pop(key)

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            item = super().pop(key)
            self.nbytes -= self._size(key, item)
            return item
        if default:
            return default[0]
        raise KeyError(key)

    def popitem(self) -> tuple[str, Any]:
        key, item = super().popitem()
        self.nbytes -= self._size(key, item)
        return key, item

    def clear(self) -> None:
        super().clear()
        self.nbytes = 0


class BoundedMemoryCache(SimpleCache):
    """Flask-Caching's SimpleCache bounded in bytes (pickled keys + values) as well as in items.

    The fallback lives in every worker: an item bound alone lets a few large values (a proxied
    Magento list, a dashboard) grow each worker by hundreds of MB. Expired entries go first, then
    the soonest to expire; a value larger than the whole bound is not stored.
    """

    def __init__(self, *args: Any, max_bytes: int = 64 * 1024 ** 2, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache = _SizedStore()
        self.max_bytes = max_bytes

    @property
    def nbytes(self) -> int:
        return self._cache.nbytes

    def _over_threshold(self) -> bool:
        return len(self._cache) > self._threshold or self._cache.nbytes > self.max_bytes

    def set(self, key: str, value: Any, timeout: Any = None) -> bool | None:
        return self._store(key, value, timeout, replace=True)

    def add(self, key: str, value: Any, timeout: Any = None) -> bool:
        return bool(self._store(key, value, timeout, replace=False))

    def _store(self, key: str, value: Any, timeout: Any, *, replace: bool) -> bool:
        item = (self._normalize_timeout(timeout), self.serializer.dumps(value))
        with self._lock:
            if not replace and self.has(key):
                return False
            if _SizedStore._size(key, item) > self.max_bytes:
                self._cache.pop(key, None)  # never serve an older value for this key
                return False
            self._cache[key] = item
            self._prune()
            return key in self._cache


class CacheService:
    """Redis-backed cache with automatic, self-healing in-memory fallback."""

    def __init__(self, settings: CacheSettings, primary: Cache | None, fallback: Cache) -> None:
        self.settings = settings
        self._primary = primary
        self._fallback = fallback
        self._on_fallback = primary is None
        self._next_probe = 0.0
        self._probe_lock = threading.Lock()
        self._pending_clears: set[str] = set()
        self._memory_generations: dict[str, int] = {}
        self._memory_lock = threading.Lock()
        self._fill_script: Any = None
        self.reason = "REDIS_URL not set" if primary is None else ""
        CACHE_ON_FALLBACK.set(1 if self._on_fallback else 0)

    # -- state -------------------------------------------------------------------------------
    @property
    def backend(self) -> str:
        return "memory" if self._on_fallback else "redis"

    @property
    def configured(self) -> bool:
        return self._primary is not None

    def status(self) -> dict[str, Any]:
        return {"backend": self.backend, "redisConfigured": self.configured, "reason": self.reason or None}

    def _fail_over(self, exc: Exception) -> None:
        if not self._on_fallback:
            self._on_fallback = True
            self.reason = f"redis error: {exc.__class__.__name__}"
            log.warning("cache: Redis failed (%s), using the in-memory fallback", exc)
            CACHE_SWITCHES.labels("memory").inc()
            CACHE_ON_FALLBACK.set(1)
        self._next_probe = time.monotonic() + redis_adapter.PROBE_INTERVAL

    def _maybe_recover(self) -> None:
        if self._primary is None or time.monotonic() < self._next_probe:
            return
        if not self._probe_lock.acquire(blocking=False):
            return
        try:
            self._primary.cache._write_client.ping()
            for namespace in list(self._pending_clears):
                self._scan_delete(namespace)
                self._pending_clears.discard(namespace)
            self._on_fallback = False
            self.reason = ""
            log.warning("cache: Redis answers again, switching back from the fallback")
            CACHE_SWITCHES.labels("redis").inc()
            CACHE_ON_FALLBACK.set(0)
        except RedisError:
            self._next_probe = time.monotonic() + redis_adapter.PROBE_INTERVAL
        finally:
            self._probe_lock.release()

    def _backend_cache(self) -> Cache:
        if self._on_fallback:
            self._maybe_recover()
        return self._fallback if self._on_fallback else self._primary  # type: ignore[return-value]

    # -- operations --------------------------------------------------------------------------
    @staticmethod
    def _key(namespace: str, key: str) -> str:
        return f"{namespace}:{key}"

    def _ttl(self, namespace: str, ttl: int | None) -> int:
        ttl = self.settings.ttl(namespace) if ttl is None else ttl
        if self._on_fallback and self._primary is not None:
            # A failover: per-worker copies diverge from Redis and from each other, keep them short-lived.
            # (Without REDIS_URL the memory cache is the only one, and its TTLs are the configured ones.)
            ttl = min(ttl, FALLBACK_MAX_TTL) if ttl else FALLBACK_MAX_TTL
        return ttl

    def _run(self, namespace: str, op: str, call: Callable[[Cache], Any]) -> Any:
        cache = self._backend_cache()
        try:
            return call(cache)
        except RedisError as exc:
            CACHE_OPS.labels(namespace, op, "error").inc()
            self._fail_over(exc)
            return call(self._fallback)

    def get(self, namespace: str, key: str, default: Any = None) -> Any:
        value = self._run(namespace, "get", lambda c: c.cache.get(self._key(namespace, key)))
        CACHE_OPS.labels(namespace, "get", "hit" if value is not None else "miss").inc()
        return default if value is None else value

    def set(self, namespace: str, key: str, value: Any, ttl: int | None = None) -> None:
        self._run(namespace, "set", lambda c: c.cache.set(self._key(namespace, key), value,
                                                          timeout=self._ttl(namespace, ttl)))
        CACHE_OPS.labels(namespace, "set", "ok").inc()

    def delete(self, namespace: str, key: str) -> None:
        self._run(namespace, "delete", lambda c: c.cache.delete(self._key(namespace, key)))
        CACHE_OPS.labels(namespace, "delete", "ok").inc()

    def get_or_set(self, namespace: str, key: str, producer: Callable[[], Any], ttl: int | None = None) -> Any:
        """Return the cached value or compute, store and return it (None results are not cached)."""
        value = self.get(namespace, key, _MISSING)
        if value is not _MISSING:
            return value
        value = producer()
        if value is not None:
            self.set(namespace, key, value, ttl)
        return value

    def lookup(self, namespace: str, key: str) -> tuple[Any, Generation]:
        """The cached value (None on a miss) and the namespace's generation, in one Redis round trip."""
        cache = self._backend_cache()
        if cache is self._primary:
            try:
                redis_cache = cache.cache
                raw, generation = redis_cache._read_client.mget(
                    [f"{redis_cache._get_prefix()}{self._key(namespace, key)}", GENERATION_PREFIX + namespace])
                value = redis_cache.serializer.loads(raw)
                CACHE_OPS.labels(namespace, "get", "hit" if value is not None else "miss").inc()
                return value, Generation("redis", int(generation or 0))
            except RedisError as exc:
                CACHE_OPS.labels(namespace, "get", "error").inc()
                self._fail_over(exc)
        with self._memory_lock:
            generation = Generation("memory", self._memory_generations.get(namespace, 0))
        value = self._fallback.cache.get(self._key(namespace, key))
        CACHE_OPS.labels(namespace, "get", "hit" if value is not None else "miss").inc()
        return value, generation

    def fill(self, namespace: str, key: str, value: Any, ttl: int | None, generation: Generation) -> bool:
        """Store `value` unless the namespace was cleared since `generation` was read; True if stored.

        Safe to run late (after the answer was sent): an invalidation in between always wins.
        """
        cache = self._backend_cache()
        stored = False
        if cache is self._primary:
            if generation.backend == "redis":
                try:
                    stored = self._redis_fill(cache.cache, namespace, key, value, ttl, generation.value)
                except RedisError as exc:
                    CACHE_OPS.labels(namespace, "set", "error").inc()
                    self._fail_over(exc)
        elif generation.backend == "memory":
            with self._memory_lock:  # a clear holds the same lock: check and store are one step
                if self._memory_generations.get(namespace, 0) == generation.value:
                    self._fallback.cache.set(self._key(namespace, key), value, timeout=self._ttl(namespace, ttl))
                    stored = True
        CACHE_OPS.labels(namespace, "set", "ok" if stored else "stale").inc()
        return stored

    def _redis_fill(self, redis_cache: Any, namespace: str, key: str, value: Any, ttl: int | None,
                    generation: int) -> bool:
        client = redis_cache._write_client
        if self._fill_script is None or self._fill_script.registered_client is not client:
            self._fill_script = client.register_script(_FILL_SCRIPT)
        timeout = redis_cache._normalize_timeout(self._ttl(namespace, ttl))
        name = f"{redis_cache._get_prefix()}{self._key(namespace, key)}"
        return bool(self._fill_script(keys=[name, GENERATION_PREFIX + namespace],
                                      args=[redis_cache.serializer.dumps(value), max(timeout, 0), generation]))

    def clear_namespace(self, namespace: str) -> int:
        """Delete every key of a namespace; returns how many were removed."""
        removed = self._clear_memory(namespace)
        if self._primary is not None:
            if self._on_fallback:
                self._pending_clears.add(namespace)
            else:
                try:
                    removed += self._scan_delete(namespace)
                except RedisError as exc:
                    self._pending_clears.add(namespace)
                    self._fail_over(exc)
        CACHE_OPS.labels(namespace, "clear", "ok").inc()
        return removed

    def _clear_memory(self, namespace: str) -> int:
        store = self._fallback.cache._cache  # SimpleCache keeps its own dict; no key prefix there
        prefix = namespace + ":"
        with self._memory_lock:
            self._memory_generations[namespace] = self._memory_generations.get(namespace, 0) + 1
            keys = [k for k in list(store) if k.startswith(prefix)]
            for key in keys:
                store.pop(key, None)
        return len(keys)

    def _scan_delete(self, namespace: str) -> int:
        client = self._primary.cache._write_client  # type: ignore[union-attr]
        client.incr(GENERATION_PREFIX + namespace)  # first: a fill that read the old generation is refused
        removed = 0
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{KEY_PREFIX}{namespace}:*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                removed += client.delete(*batch)
                batch.clear()
        if batch:
            removed += client.delete(*batch)
        return removed


EXTENSION_KEY = "cache_service"  # "cache" is Flask-Caching's own key


def init_app(app: Flask, settings: Settings) -> CacheService:
    """Build the app's cache service (Redis when REDIS_URL is set, the bounded memory fallback always)."""
    fallback = Cache(config={"CACHE_TYPE": f"{__name__}.BoundedMemoryCache", "CACHE_KEY_PREFIX": KEY_PREFIX,
                             "CACHE_THRESHOLD": FALLBACK_MAX_ITEMS,
                             "CACHE_OPTIONS": {"max_bytes": FALLBACK_MAX_BYTES},
                             "CACHE_DEFAULT_TIMEOUT": FALLBACK_MAX_TTL})
    fallback.init_app(app)
    primary = None
    if settings.cache.redis_url:
        primary = Cache(config={
            "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": settings.cache.redis_url, "CACHE_KEY_PREFIX": KEY_PREFIX,
            "CACHE_DEFAULT_TIMEOUT": settings.cache.ttl("default"),
            "CACHE_OPTIONS": socket_options(settings.cache.redis_timeout),
        })
        primary.init_app(app)
    service = app.extensions[EXTENSION_KEY] = CacheService(settings.cache, primary, fallback)
    return service


def get_cache(app: Flask | None = None) -> CacheService:
    """The app's cache service (`app`, else the current app)."""
    service: CacheService = (app or current_app).extensions[EXTENSION_KEY]
    return service
