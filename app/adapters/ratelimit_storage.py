"""Rate-limit storage on Redis that keeps the shared counters off the request's critical path.

The rate limiter (app/ratelimit.py) asks its storage, per request, to increment the client's window
counter and then to read the counter and its TTL for the RateLimit-* headers: three Redis round trips.
This storage keeps a per-process view of each counter and writes increments behind to Redis at most every SYNC_INTERVAL
seconds per key (one INCRBY of everything counted meanwhile), reading the shared total back in the
same round trip. Each worker therefore sees every other worker's hits with at most SYNC_INTERVAL of
delay, so a client can exceed its limit by at most what it sends in that interval: an approximation
that keeps the protection (shared across workers and hosts, surviving restarts) at a fraction of the
cost. The reads for the headers are answered from the same view.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from limits.storage import RedisStorage

SYNC_INTERVAL = 0.1  # seconds between write-behind flushes of one key's counter


@dataclass
class _Counter:
    shared: int  # the total in Redis at the last sync (all workers and hosts)
    pending: int  # hits counted here since then, not yet in Redis
    synced_at: float  # monotonic time of the last sync
    window_end: float  # epoch time the fixed window ends


class LeanRedisStorage(RedisStorage):
    """`techno-etl+redis://...`: RedisStorage with write-behind counters (see the module docstring)."""

    STORAGE_SCHEME = ["techno-etl+redis", "techno-etl+rediss"]

    def __init__(self, uri: str, **options: Any) -> None:
        super().__init__(uri.replace("techno-etl+", "", 1), **options)
        self._counters: dict[str, _Counter] = {}
        self._lock = threading.Lock()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now, wall = time.monotonic(), time.time()
        with self._lock:
            counter = self._counters.get(key)
            if counter is not None and counter.window_end > wall and now - counter.synced_at < SYNC_INTERVAL:
                counter.pending += amount
                return counter.shared + counter.pending
            carried = counter.pending if counter is not None and counter.window_end > wall else 0
        total = super().incr(key, expiry, carried + amount)  # one round trip: INCRBY + expire-if-new
        with self._lock:
            if total == carried + amount:  # this call opened the window: it ends `expiry` from now
                window_end = wall + expiry
            elif counter is not None and counter.window_end > wall:
                window_end = counter.window_end
            else:
                window_end = super().get_expiry(key)
            self._counters[key] = _Counter(total, 0, now, window_end)
            if len(self._counters) > 20000:  # bounded: forget windows that are over
                self._counters = {k: c for k, c in self._counters.items() if c.window_end > wall}
        return total

    def get(self, key: str) -> int:
        counter = self._counters.get(key)
        if counter is not None and counter.window_end > time.time():
            return counter.shared + counter.pending
        return super().get(key)

    def get_expiry(self, key: str) -> float:
        counter = self._counters.get(key)
        if counter is not None and counter.window_end > time.time():
            return counter.window_end
        return super().get_expiry(key)

    def clear(self, key: str) -> None:
        with self._lock:
            self._counters.pop(key, None)
        super().clear(key)

    def reset(self) -> int | None:
        with self._lock:
            self._counters.clear()
        return super().reset()
