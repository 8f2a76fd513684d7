"""Where breaker records live so every worker (and every host, with Redis) sees one state.

- `LocalStore`: a small SQLite file in RUN_DIR shared by the workers of a host (app/adapters/host_sqlite.py).
  `BEGIN IMMEDIATE` makes each read-modify-write atomic across processes. A read is one indexed SELECT on a
  per-thread connection (~10-20 us, measured in docs/resilience.md), cheap enough for every upstream call.
- `RedisStore`: one key per breaker; updates are WATCH/MULTI/EXEC transactions (retried on conflict), so
  two hosts cannot both open or both probe. Calls use the app's client, whose socket timeouts are
  REDIS_TIMEOUT.
- `FallbackStore`: Redis first; when Redis fails, the host-local store for PROBE_INTERVAL seconds, then
  Redis is tried again. A dead Redis thus costs one REDIS_TIMEOUT per worker per interval, not per call.

Why not pybreaker's CircuitRedisStorage: it logs a traceback on every call while Redis is down (no
fallback window), its transitions are separate GET/SET calls (two workers can both open or both probe),
and its `opened_at` has one-second resolution.
"""
from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

from app.adapters.host_sqlite import HostSqlite
from app.services.resilience.state import BreakerRecord

if TYPE_CHECKING:
    from redis import Redis
    from redis.client import Pipeline

log = logging.getLogger(__name__)
Mutation = Callable[[BreakerRecord], "BreakerRecord | None"]
REDIS_PREFIX = "techno-etl:breaker:"
T = TypeVar("T")


class BreakerStore(Protocol):
    """Shared storage of breaker records."""

    @property
    def backend(self) -> str: ...  # "local" | "redis": where the records live now

    def read(self, name: str) -> BreakerRecord: ...

    def update(self, name: str, mutate: Mutation) -> tuple[BreakerRecord, BreakerRecord]:
        """Atomically apply `mutate` (pure: it may run more than once); return (before, after)."""
        ...


class LocalStore:
    """Host-local records in `<RUN_DIR>/breakers.sqlite3`, shared by every worker of the host."""

    backend = "local"

    def __init__(self, path: str, busy_timeout: float = 1.0) -> None:
        self.path = path
        self._db = HostSqlite(path, "CREATE TABLE IF NOT EXISTS breakers (name TEXT PRIMARY KEY, data TEXT NOT NULL);",
                              busy_timeout)

    def _conn(self) -> sqlite3.Connection:
        return self._db.conn()

    def read(self, name: str) -> BreakerRecord:
        row = self._conn().execute("SELECT data FROM breakers WHERE name = ?", (name,)).fetchone()
        return BreakerRecord.from_json(row[0] if row else None)

    def update(self, name: str, mutate: Mutation) -> tuple[BreakerRecord, BreakerRecord]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")  # takes the write lock now: no other process can interleave
        try:
            row = conn.execute("SELECT data FROM breakers WHERE name = ?", (name,)).fetchone()
            before = BreakerRecord.from_json(row[0] if row else None)
            after = mutate(before)
            if after is not None and after != before:
                conn.execute("INSERT OR REPLACE INTO breakers (name, data) VALUES (?, ?)", (name, after.to_json()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return before, after if after is not None else before

    def clear(self) -> None:
        """Forget every breaker (tests, `manage.py`-style resets)."""
        self._conn().execute("DELETE FROM breakers")


class RedisStore:
    """Records in Redis, shared by every host that uses the same REDIS_URL."""

    backend = "redis"

    def __init__(self, client: Redis, prefix: str = REDIS_PREFIX) -> None:
        self.client = client
        self.prefix = prefix

    def read(self, name: str) -> BreakerRecord:
        return BreakerRecord.from_json(self.client.get(self.prefix + name))

    def update(self, name: str, mutate: Mutation) -> tuple[BreakerRecord, BreakerRecord]:
        key = self.prefix + name
        result: list[BreakerRecord] = []

        def transaction(pipe: Pipeline) -> None:
            before = BreakerRecord.from_json(pipe.get(key))
            after = mutate(before)
            pipe.multi()
            if after is not None and after != before:
                pipe.set(key, after.to_json())
            result[:] = [before, after if after is not None else before]

        # WATCH key; if another process changed it before EXEC, redis-py re-runs `transaction`.
        self.client.transaction(transaction, key)
        return result[0], result[1]


class FallbackStore:
    """Redis while it answers; the host-local store while it does not (re-probed every `probe_interval`)."""

    def __init__(self, primary: RedisStore, fallback: LocalStore, probe_interval: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.primary, self.fallback = primary, fallback
        self.probe_interval = probe_interval
        self._clock = clock
        self._down_until = 0.0

    @property
    def backend(self) -> str:
        return self.fallback.backend if self._clock() < self._down_until else self.primary.backend

    def read(self, name: str) -> BreakerRecord:
        return self._run(lambda store: store.read(name))

    def update(self, name: str, mutate: Mutation) -> tuple[BreakerRecord, BreakerRecord]:
        return self._run(lambda store: store.update(name, mutate))

    def _run(self, op: Callable[[BreakerStore], T]) -> T:
        if self._clock() >= self._down_until:
            try:
                return op(self.primary)
            except Exception as exc:  # redis.RedisError, socket timeouts: any failure means "use the fallback"
                self._down_until = self._clock() + self.probe_interval
                log.warning("breaker store: Redis failed (%s); host-local breaker state for %.0f s",
                            type(exc).__name__, self.probe_interval,
                            extra={"dependency": "redis", "error": type(exc).__name__})
        return op(self.fallback)
