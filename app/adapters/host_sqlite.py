"""A SQLite file in RUN_DIR shared by every worker process of one host (breakers, login failure budgets).

WAL mode lets readers run beside the writer; a single statement or a `BEGIN IMMEDIATE` transaction is
atomic across processes. Connections are per process and thread: SQLite handles must not cross a fork.
"""
from __future__ import annotations

import os
import sqlite3
import threading


class HostSqlite:
    """Per-process, per-thread connections to one host-local SQLite file; `schema` runs on each new connection."""

    def __init__(self, path: str, schema: str, busy_timeout: float = 1.0) -> None:
        self.path = path
        self.schema = schema
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (autocommit: each statement is its own transaction unless BEGIN is used)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # a lost record after a power cut is harmless here
            conn.executescript(self.schema)
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn
