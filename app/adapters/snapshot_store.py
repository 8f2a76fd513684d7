"""Where dashboard snapshots live: one interface, two backends (the app database; Redis in front of it).

A snapshot is a named JSON document (a chart's rows, the dashboard stats, or the snapshot job's working
set) with the time its data was read (`as_of`). Every worker and host reads the same copy: never a
per-process dict.

- `SqlSnapshotStore`: table `snapshots` of the app database (migration 0004_snapshots). Always written:
  it is the durable copy (Redis may run without persistence, evict keys or be down).
- `RedisSnapshotStore`: keys `techno-etl:snapshot:<name>`, no TTL.
- `LayeredSnapshotStore` (REDIS_URL set): reads Redis and falls back to the app database when Redis
  errors or misses (a miss is copied back into Redis); writes the app database first, then Redis. A Redis
  write that fails is logged and repaired by the next build, which rewrites every dataset.

Payloads are zlib-compressed JSON (a large shop's working set is ~10 MB as JSON, ~1-2 MB compressed).
"""
from __future__ import annotations

import json
import logging
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import redis
from redis.exceptions import RedisError
from sqlalchemy import Engine, insert, select, update

from app.adapters import sql
from app.adapters.appdb_tables import snapshots

log = logging.getLogger(__name__)
REDIS_PREFIX = "techno-etl:snapshot:"


@dataclass(frozen=True)
class Snapshot:
    """One stored snapshot: its data, when that data was read (naive UTC), when and by which job it was built."""

    name: str
    data: Any
    as_of: datetime
    built_at: datetime
    job_id: int | None = None
    size: int = 0

    def age(self, now: datetime) -> float:
        return max(0.0, (now - self.as_of).total_seconds())

    def meta(self) -> dict[str, Any]:
        return {"name": self.name, "asOf": _iso(self.as_of), "builtAt": _iso(self.built_at), "jobId": self.job_id,
                "bytes": self.size}


def _iso(value: datetime) -> str:
    return value.replace(tzinfo=UTC).isoformat(timespec="seconds")


def encode(data: Any) -> bytes:
    return zlib.compress(json.dumps(data, separators=(",", ":"), default=str).encode("utf-8"), 6)


def decode(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob).decode("utf-8"))


class SnapshotStore(Protocol):
    """What the snapshot service needs from a backend."""

    backend: str

    def get(self, name: str) -> Snapshot | None: ...

    def put(self, snapshot: Snapshot) -> None: ...

    def index(self) -> list[Snapshot]:
        """Every stored snapshot without its data (for the status endpoint)."""
        ...


class SqlSnapshotStore:
    """Snapshots in the app database's `snapshots` table (upsert by name)."""

    backend = "app_database"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, name: str) -> Snapshot | None:
        with sql.connect(self.engine) as conn:
            row = conn.execute(select(snapshots).where(snapshots.c.name == name)).first()
        if row is None:
            return None
        m = row._mapping
        return Snapshot(name, decode(m["payload"]), m["as_of"], m["built_at"], m["job_id"], int(m["size"]))

    def put(self, snapshot: Snapshot) -> None:
        blob = encode(snapshot.data)
        values = {"as_of": snapshot.as_of, "built_at": snapshot.built_at, "job_id": snapshot.job_id,
                  "size": len(blob), "payload": blob}
        with sql.begin(self.engine) as conn:
            if conn.execute(update(snapshots).where(snapshots.c.name == snapshot.name).values(**values)).rowcount:
                return
            conn.execute(insert(snapshots).values(name=snapshot.name, **values))

    def index(self) -> list[Snapshot]:
        columns = (snapshots.c.name, snapshots.c.as_of, snapshots.c.built_at, snapshots.c.job_id, snapshots.c.size)
        with sql.connect(self.engine) as conn:
            rows = conn.execute(select(*columns).order_by(snapshots.c.name)).all()
        return [Snapshot(r[0], None, r[1], r[2], r[3], int(r[4])) for r in rows]


class RedisSnapshotStore:
    """Snapshots as Redis strings: {asOf, builtAt, jobId, data} compressed, no expiry."""

    backend = "redis"

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def get(self, name: str) -> Snapshot | None:
        blob = self.client.get(REDIS_PREFIX + name)
        if blob is None:
            return None
        assert isinstance(blob, bytes)  # the client is built without decode_responses: GET answers bytes
        doc = decode(blob)
        return Snapshot(name, doc["data"], _naive(doc["asOf"]), _naive(doc["builtAt"]), doc.get("jobId"), len(blob))

    def put(self, snapshot: Snapshot) -> None:
        doc = {"asOf": _iso(snapshot.as_of), "builtAt": _iso(snapshot.built_at), "jobId": snapshot.job_id,
               "data": snapshot.data}
        self.client.set(REDIS_PREFIX + snapshot.name, encode(doc))

    def index(self) -> list[Snapshot]:
        out = []
        for key in sorted(self.client.scan_iter(match=REDIS_PREFIX + "*", count=100)):
            found = self.get(key.decode("utf-8")[len(REDIS_PREFIX):])
            if found is not None:
                out.append(Snapshot(found.name, None, found.as_of, found.built_at, found.job_id, found.size))
        return out


def _naive(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(UTC).replace(tzinfo=None)


class LayeredSnapshotStore:
    """Redis for reads, the app database as the durable copy and the fallback (see the module docstring).

    After a Redis error, reads skip Redis for `probe_interval` seconds (like the cache service), so a dead
    Redis costs one timeout per interval, not one per chart read."""

    backend = "redis"

    def __init__(self, primary: RedisSnapshotStore, durable: SqlSnapshotStore, probe_interval: float = 5.0) -> None:
        self.primary, self.durable, self.probe_interval = primary, durable, probe_interval
        self._skip_until = 0.0

    def _redis_failed(self, action: str, name: str, exc: Exception) -> None:
        if time.monotonic() >= self._skip_until:  # once per interval, not once per read
            log.warning("snapshots: Redis %s of %s failed (%s); using the app database", action, name, exc)
        self._skip_until = time.monotonic() + self.probe_interval

    def get(self, name: str) -> Snapshot | None:
        if time.monotonic() < self._skip_until:
            return self.durable.get(name)
        try:
            found = self.primary.get(name)
        except RedisError as exc:
            self._redis_failed("read", name, exc)
            return self.durable.get(name)
        if found is not None:
            return found
        found = self.durable.get(name)
        if found is not None:  # Redis lost it (flushed, evicted, new instance): put it back
            self._put_primary(found)
        return found

    def put(self, snapshot: Snapshot) -> None:
        self.durable.put(snapshot)
        self._put_primary(snapshot)

    def _put_primary(self, snapshot: Snapshot) -> None:
        try:
            self.primary.put(snapshot)
        except RedisError as exc:
            # Readers fall back to the app database while Redis is down; if Redis comes back with an
            # older copy, the next build rewrites it (and its age header tells the truth meanwhile).
            self._redis_failed("write", snapshot.name, exc)

    def index(self) -> list[Snapshot]:
        return self.durable.index()


def make_store(engine: Engine, client: redis.Redis | None, probe_interval: float = 5.0) -> SnapshotStore:
    """The layered store when Redis is configured, else the app database alone."""
    durable = SqlSnapshotStore(engine)
    return durable if client is None else LayeredSnapshotStore(RedisSnapshotStore(client), durable, probe_interval)
