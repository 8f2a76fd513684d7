"""The login route's per-username failure budget: a slot is reserved atomically BEFORE Magento is asked.

Magento locks an admin account after 6 failed sign-ins. Reading a counter before the Magento call and
writing it afterwards lets a burst through (every request reads "0 failures"), so each attempt first
takes a slot with one atomic increment and is refused (429) when the count exceeds LOGIN_MAX_FAILURES:
- host-wide: one UPSERT in the SQLite file under RUN_DIR that the breakers use (every worker of the
  host sees it; never per worker);
- across hosts: one Lua `INCR` + `PEXPIRE` in Redis when REDIS_URL is set (the key never lives without
  a TTL). The host store is written too, so a Redis outage keeps the count and the window
  (LOGIN_FAILURE_WINDOW); it never shortens it.
A failed attempt keeps its slot; a successful login clears the username's failures.
"""
from __future__ import annotations

import hashlib
import logging
import math
import os
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from app.adapters import redis as redis_adapter
from app.adapters.host_sqlite import HostSqlite
from app.errors import DependencyUnavailable
from config.current import get_settings
from config.settings import Settings

if TYPE_CHECKING:
    from redis import Redis

    from config import Settings

log = logging.getLogger(__name__)

HOST_DB = "breakers.sqlite3"  # the breakers' host file (app/services/resilience/upstreams.py)
REDIS_PREFIX = "techno-etl:login-failures:"
_SCHEMA = ("CREATE TABLE IF NOT EXISTS login_failures "
           "(key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires_at REAL NOT NULL);")
# One statement, so atomic across processes: a new or expired row restarts at 1 with a fresh window;
# a live row counts up and keeps its window (a refused attempt never extends it).
_RESERVE_SQL = """
INSERT INTO login_failures (key, count, expires_at) VALUES (:key, 1, :expires)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN expires_at <= :now THEN 1 ELSE count + 1 END,
    expires_at = CASE WHEN expires_at <= :now THEN excluded.expires_at ELSE expires_at END
RETURNING count, expires_at
"""
_GIVE_BACK_SQL = "UPDATE login_failures SET count = count - 1 WHERE key = ? AND count > 0 AND expires_at > ?"
# INCR, then an expiry on a key that has none (its first increment): never a key without TTL.
_RESERVE_LUA = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""
# DECR only a live key: DECR on a missing key would create one without a TTL.
_GIVE_BACK_LUA = """
if redis.call('PTTL', KEYS[1]) > 0 and tonumber(redis.call('GET', KEYS[1])) > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
"""
_PRUNE_EVERY = 60.0
BUSY_TIMEOUT = 5.0  # seconds a reservation waits for the host file's write lock (one UPSERT holds it)


def normalise_username(raw: str) -> str:
    """The identity of a login: NFKC, case folded, stripped (NFKC again: case folding can denormalise)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", raw).casefold()).strip()


def account_key(raw: str) -> str:
    """What Magento may take for one account: the normalised name without accents, spaces or format characters.

    Magento finds an admin user with SQL under utf8_general_ci (case and accents ignored, trailing spaces
    ignored), so `Ädmin ` signs in as `admin` and counts towards its lockout. A budget keyed coarser than
    Magento only merges budgets; keyed finer, every spelling would get a fresh one.
    """
    decomposed = unicodedata.normalize("NFKD", normalise_username(raw))
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch) and not ch.isspace()
                   and unicodedata.category(ch) not in ("Cc", "Cf"))
    return unicodedata.normalize("NFKC", kept)


def budget_id(raw: str) -> str:
    """The counter key of a username: hashed, since usernames are personal data of any characters."""
    return hashlib.sha256(account_key(raw).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Reservation:
    """The outcome of taking a slot: allowed or not, failures in the window (this one included), seconds left."""

    allowed: bool
    count: int
    retry_after: int


def _reservation(count: int, seconds_left: float, limit: int) -> Reservation:
    return Reservation(allowed=count <= limit, count=count, retry_after=max(1, math.ceil(seconds_left)))


class HostBudget:
    """Failure counts in the host's SQLite file: one atomic UPSERT per attempt, shared by every worker."""

    backend = "local"

    def __init__(self, path: str, clock: Callable[[], float] = time.time) -> None:
        self._db = HostSqlite(path, _SCHEMA, busy_timeout=BUSY_TIMEOUT)
        self._clock = clock  # wall clock: shared by every process of the host
        self._next_prune = 0.0

    def reserve(self, key: str, limit: int, window: int) -> Reservation:
        now = self._clock()
        conn = self._db.conn()
        count, expires_at = conn.execute(_RESERVE_SQL, {"key": key, "now": now, "expires": now + window}).fetchone()
        if now >= self._next_prune:  # expired rows of usernames never seen again
            self._next_prune = now + _PRUNE_EVERY
            conn.execute("DELETE FROM login_failures WHERE expires_at <= ?", (now,))
        return _reservation(count, expires_at - now, limit)

    def give_back(self, key: str) -> None:
        self._db.conn().execute(_GIVE_BACK_SQL, (key, self._clock()))

    def clear(self, key: str) -> None:
        self._db.conn().execute("DELETE FROM login_failures WHERE key = ?", (key,))


class RedisBudget:
    """Failure counts in Redis, shared by every host: one Lua script (INCR with expiry) per attempt."""

    backend = "redis"

    def __init__(self, client: Redis, prefix: str = REDIS_PREFIX) -> None:
        self.client = client
        self.prefix = prefix
        self._reserve = client.register_script(_RESERVE_LUA)
        self._give_back = client.register_script(_GIVE_BACK_LUA)

    def reserve(self, key: str, limit: int, window: int) -> Reservation:
        count, ttl_ms = self._reserve(keys=[self.prefix + key], args=[int(window * 1000)])
        return _reservation(int(count), int(ttl_ms) / 1000.0, limit)

    def give_back(self, key: str) -> None:
        self._give_back(keys=[self.prefix + key])

    def clear(self, key: str) -> None:
        self.client.delete(self.prefix + key)


class LoginBudget:
    """The host store always, Redis too when configured and answering: a slot must be free in both.

    Each count is exact in its store, so neither lets more than `limit` attempts through. Concurrent
    attempts on one username may reach the two stores in different orders, and then fewer than `limit`
    get through: deliberate, since holding the host file's lock across a Redis call would stall every
    login (and breaker update) of the host behind a slow Redis. While Redis fails (and for
    `probe_interval` seconds after each failure) only the host store decides, with the same window; it
    holds this host's count from before the outage, and after one it still refuses what Redis
    (restarted empty) would allow.
    """

    def __init__(self, host: HostBudget, shared: RedisBudget | None = None, probe_interval: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.host, self.shared = host, shared
        self.probe_interval = probe_interval
        self._clock = clock
        self._down_until = 0.0

    @property
    def backend(self) -> str:
        return "local" if self.shared is None or self._clock() < self._down_until else "redis+local"

    def reserve(self, key: str, limit: int, window: int) -> Reservation:
        """Take one failure slot for `key`; `allowed` is False once more than `limit` are taken in the window.

        Raises DependencyUnavailable (503) when the host file cannot be written: no slot, no Magento call."""
        try:
            local = self.host.reserve(key, limit, window)
        except sqlite3.Error as exc:
            log.error("login budget: host store failed (%s)", exc, extra={"error": type(exc).__name__})
            raise DependencyUnavailable("login_budget", "Logins are unavailable for a moment; try again.") from exc
        shared = self._shared(lambda store: store.reserve(key, limit, window))
        if shared is None:
            return local
        refusing = [r.retry_after for r in (local, shared) if not r.allowed]
        return Reservation(allowed=not refusing, count=max(local.count, shared.count),
                           retry_after=max(refusing) if refusing else max(local.retry_after, shared.retry_after))

    def give_back(self, key: str) -> None:
        """Return a slot whose attempt Magento cannot have counted (it was not reached)."""
        self.host.give_back(key)
        self._shared(lambda store: store.give_back(key))

    def clear(self, key: str) -> None:
        """Forget the failures of `key` (a successful login)."""
        self.host.clear(key)
        self._shared(lambda store: store.clear(key))

    def _shared(self, op: Callable[[RedisBudget], Any]) -> Any:
        if self.shared is None or self._clock() < self._down_until:
            return None
        try:
            return op(self.shared)
        except RedisError as exc:
            self._down_until = self._clock() + self.probe_interval
            log.warning("login budget: Redis failed (%s); host-wide failure counts only for %.0f s",
                        type(exc).__name__, self.probe_interval,
                        extra={"dependency": "redis", "error": type(exc).__name__})
            return None


_build_lock = threading.Lock()


def make_login_budget(settings: Settings, redis_client: Redis | None) -> LoginBudget:
    """The budget for an app: `<RUN_DIR>/breakers.sqlite3`, plus Redis when REDIS_URL is set."""
    host = HostBudget(os.path.join(settings.server.run_dir, HOST_DB))
    shared = RedisBudget(redis_client) if redis_client is not None else None
    return LoginBudget(host, shared, probe_interval=redis_adapter.PROBE_INTERVAL)


def get_login_budget() -> LoginBudget:
    """The current app's budget, built on first use."""
    from flask import current_app

    from app.adapters.redis import get_redis

    budget = current_app.extensions.get("login_budget")
    if budget is None:
        with _build_lock:
            budget = current_app.extensions.get("login_budget")
            if budget is None:
                budget = make_login_budget(get_settings(), get_redis())
                current_app.extensions["login_budget"] = budget
    return budget
