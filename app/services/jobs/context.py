"""JobContext: what a job handler sees -- its parameters, progress/count/error recording, stop checks, waiting.

Handlers run on a runner thread; their own worker threads (a stock job's source pool) may record into the
same context, so every mutation holds one lock. The runner's heartbeat thread persists `snapshot()` with
each lease renewal, so progress costs no extra writes; `flush()` forces one (status changes).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

MAX_ERRORS = 200  # errors kept per job; the rest are only counted (errorsDropped)


class JobStopped(Exception):
    """The job must stop now: the worker is shutting down or the lease was lost to another worker."""


class JobContext:
    """Mutable state of one running job, shared by the handler's threads."""

    def __init__(self, job_id: int, kind: str, params: dict[str, Any], attempt: int, *,
                 progress: dict[str, Any] | None = None, counts: dict[str, Any] | None = None,
                 errors: list[dict[str, Any]] | None = None,
                 flush: Callable[[dict[str, Any]], bool] | None = None,
                 stopping: threading.Event | None = None, owner: str = "") -> None:
        self.job_id, self.kind, self.params, self.attempt = job_id, kind, params, attempt
        self.owner = owner  # the lease owner: locks taken for this job are held under the same name
        self._lock = threading.RLock()
        self.progress: dict[str, Any] = {"done": 0, "total": 0, "sources": {}, **(progress or {})}
        # A resumed job starts its counts again: they describe this run; the errors of earlier runs stay.
        self.counts: dict[str, int] = {}
        self.errors: list[dict[str, Any]] = list(errors or [])[:MAX_ERRORS]
        self.errors_dropped = 0
        self.status = "running"
        self.waiting_on: str | None = None
        self.message: str | None = None
        self.lost = threading.Event()
        self._stopping = stopping or threading.Event()
        self._flush = flush
        self.listeners: list[Callable[[JobContext], None]] = []  # CLI progress bars

    # -- recording ---------------------------------------------------------------------------------
    def count(self, **amounts: int) -> None:
        with self._lock:
            for key, amount in amounts.items():
                self.counts[key] = self.counts.get(key, 0) + int(amount)
        self._notify()

    def set_total(self, part: str, total: int) -> None:
        with self._lock:
            entry = self.progress["sources"].setdefault(part, {"done": 0, "total": 0})
            entry["total"] = int(total)
            entry.setdefault("status", "pending")
            self._sum()
        self._notify()

    def advance(self, part: str, done: int = 1, **extra: Any) -> None:
        with self._lock:
            entry = self.progress["sources"].setdefault(part, {"done": 0, "total": 0})
            entry["done"] = entry.get("done", 0) + int(done)
            entry.update(extra)
            self._sum()
        self._notify()

    def mark(self, part: str, **extra: Any) -> None:
        with self._lock:
            self.progress["sources"].setdefault(part, {"done": 0, "total": 0}).update(extra)
        self._notify()

    def _sum(self) -> None:
        parts = self.progress["sources"].values()
        self.progress["done"] = sum(p.get("done", 0) for p in parts)
        self.progress["total"] = sum(p.get("total", 0) for p in parts)

    def error(self, **entry: Any) -> None:
        """Record one item or batch failure (sku, source, message, status...), bounded to MAX_ERRORS."""
        with self._lock:
            if len(self.errors) < MAX_ERRORS:
                self.errors.append({k: v for k, v in entry.items() if v is not None})
            else:
                self.errors_dropped += 1

    def _notify(self) -> None:
        for listener in self.listeners:
            listener(self)

    # -- lifecycle ---------------------------------------------------------------------------------
    def checkpoint(self) -> None:
        """Call between units of work: raises JobStopped when the job must give up its lease now."""
        if self.lost.is_set():
            raise JobStopped("the lease was lost to another worker")
        if self._stopping.is_set():
            raise JobStopped("the worker is stopping")

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set() or self.lost.is_set()

    def sleep(self, seconds: float) -> None:
        """Sleep, waking early (and raising JobStopped) when the job must stop."""
        deadline = time.monotonic() + seconds
        while True:
            self.checkpoint()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._stopping.wait(min(left, 0.5))

    def set_waiting(self, upstream: str | None, message: str | None = None) -> None:
        """Status `waiting` (on `upstream`) or back to `running` (None); persisted at once."""
        with self._lock:
            if self.waiting_on == upstream:
                return
            self.waiting_on = upstream
            self.status = "waiting" if upstream else "running"
            self.message = message
        self.flush()

    def snapshot(self) -> dict[str, Any]:
        """The columns the heartbeat persists."""
        with self._lock:
            counts = dict(self.counts)
            if self.errors_dropped:
                counts["errorsDropped"] = self.errors_dropped
            return {"progress": _copy(self.progress), "counts": counts, "errors": list(self.errors),
                    "status": self.status, "waiting_on": self.waiting_on,
                    "message": (self.message or None) and self.message[:500]}

    def flush(self) -> None:
        if self._flush is not None and not self._flush(self.snapshot()):
            self.lost.set()


def _copy(progress: dict[str, Any]) -> dict[str, Any]:
    return {**progress, "sources": {k: dict(v) for k, v in progress.get("sources", {}).items()}}
