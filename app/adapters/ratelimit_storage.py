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
    pending: int  # hits counted here and not yet sent to Redis
    synced_at: float  # monotonic time the last sync started
    window_end: float  # epoch time the fixed window ends
    syncing: bool = False  # a thread is sending the hits it took from `pending`


class LeanRedisStorage(RedisStorage):
    """`techno-etl+redis://...`: RedisStorage with write-behind counters (see the module docstring).

    One thread at a time syncs a key: it takes the pending hits under the lock and sends them; the hits of
    other threads meanwhile wait in `pending` for the next sync. (Each thread that found the interval over
    used to send the same pending hits: with 8 threads Redis counted 4x the real hits, so clients were
    limited far below their configured rate.)"""

    STORAGE_SCHEME = ["techno-etl+redis", "techno-etl+rediss"]

    def __init__(self, uri: str, **options: Any) -> None:
        super().__init__(uri.replace("techno-etl+", "", 1), **options)
        self._counters: dict[str, _Counter] = {}
        self._lock = threading.Lock()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now, wall = time.monotonic(), time.time()
        with self._lock:
            counter = self._counters.get(key)
            if counter is not None and counter.window_end <= wall:
                counter = None  # the window is over: its unsent hits belong to it, not to the next one
            if counter is not None and (counter.syncing or now - counter.synced_at < SYNC_INTERVAL):
                counter.pending += amount
                return counter.shared + counter.pending
            if counter is None:
                # Opened by this call (or by another worker): until Redis answers, other threads count here.
                counter = self._counters[key] = _Counter(0, 0, now, wall + expiry, syncing=True)
                carried, new_window = 0, True
            else:
                carried, counter.pending, new_window = counter.pending, 0, False
                counter.synced_at, counter.syncing = now, True
            self._forget_ended_windows(wall)
        try:
            total = super().incr(key, expiry, carried + amount)  # one round trip: INCRBY + expire-if-new
        except Exception:
            with self._lock:  # not sent: the hits stay pending and the sync is due again at the next call
                counter.pending += carried
                counter.syncing, counter.synced_at = False, now - SYNC_INTERVAL
            raise
        window_end = counter.window_end
        if new_window and total != carried + amount:
            window_end = super().get_expiry(key)  # another worker opened it: its end is in Redis
        elif total == carried + amount:
            window_end = wall + expiry  # this call opened the window in Redis
        with self._lock:
            counter.shared, counter.window_end, counter.syncing = total, window_end, False
            return total + counter.pending

    def _forget_ended_windows(self, wall: float) -> None:
        if len(self._counters) > 20000:  # bounded: forget windows that are over
            self._counters = {k: c for k, c in self._counters.items() if c.window_end > wall or c.syncing}

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
