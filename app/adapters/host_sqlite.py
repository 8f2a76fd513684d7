"""A SQLite file in RUN_DIR shared by every worker process of one host (breakers, login failure budgets).

WAL mode lets readers run beside the writer; a single statement or a `BEGIN IMMEDIATE` transaction is
atomic across processes. Connections are per process and thread: SQLite handles must not cross a fork.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time


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
            _use_wal(conn, self.busy_timeout)
            conn.execute("PRAGMA synchronous=NORMAL")  # a lost record after a power cut is harmless here
            conn.executescript(self.schema)
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn


def _use_wal(conn: sqlite3.Connection, patience: float) -> None:
    """Switch the file to WAL once. Asking for a journal mode takes a lock that SQLite does not wait for (no busy
    handler), so a burst of threads opening their first connection at once could fail with "database is
    locked": read the mode first (the file is WAL after the first switch) and retry a switch for `patience` s."""
    deadline = time.monotonic() + patience
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.02)
