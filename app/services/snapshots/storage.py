"""The app's snapshot stores: the served datasets (Redis + app database, or the app database alone) and the
job's working set (app database only: only the job reads it, and it is the largest document)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from app.adapters import redis as redis_adapter
from app.adapters.snapshot_store import Snapshot, SnapshotStore, SqlSnapshotStore, make_store
from app.services.jobs.store import utcnow
from app.services.snapshots.datasets import parse_iso

if TYPE_CHECKING:
    from redis import Redis
    from sqlalchemy import Engine

    from config import Settings

EXTENSION_KEY = "snapshots"


def init_stores(app: Flask, settings: Settings, engine: Engine, redis_client: Redis | None) -> None:
    probe = redis_adapter.PROBE_INTERVAL  # the cache's Redis retry pace, for the same Redis
    app.extensions[EXTENSION_KEY] = {"store": make_store(engine, redis_client, probe),
                                     "state": SqlSnapshotStore(engine)}


def get_store(app: Flask | None = None) -> SnapshotStore:
    store: SnapshotStore = (app or current_app).extensions[EXTENSION_KEY]["store"]
    return store


def get_state_store(app: Flask | None = None) -> SqlSnapshotStore:
    store: SqlSnapshotStore = (app or current_app).extensions[EXTENSION_KEY]["state"]
    return store


def put_dataset(store: SnapshotStore, name: str, data: Any, as_of: str | None, job_id: int | None) -> None:
    """Store one dataset; `as_of` is ISO 8601 (when its oldest input was read)."""
    now = utcnow()
    store.put(Snapshot(name, data, parse_iso(as_of) if as_of else now, now, job_id))
