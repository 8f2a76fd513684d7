"""Bulkheads: caps on concurrent in-flight calls to one upstream, per worker process and per host.

Per process: a `threading.BoundedSemaphore`, so Magento calls can never hold every gthread thread of a
worker (the rest stay free for probes, grids and metrics).

Per host: N slot files in RUN_DIR, each taken with a non-blocking `flock`. Chosen over POSIX named
semaphores (no stdlib binding; a worker SIGKILLed by Gunicorn's timeout while holding one leaks the slot
for good) and over a counter in SQLite (same leak unless every holder is tracked and reaped): the kernel
drops a flock when its holder dies, however it dies, so a crashed worker never shrinks the bulkhead.
Taking a slot is at most N non-blocking syscalls; a caller that finds none free polls every few
milliseconds until its wait (BULKHEAD_WAIT) ends, then the call is refused with a 503 and Retry-After.

A waiting caller holds a Gunicorn thread too, so waiters are bounded per process (`max_waiting`): beyond
it a call is refused at once. Measured (docs/resilience.md): without the bound, cap + waiters took all
four threads of a worker and health requests queued for the whole 0.5 s wait. A thread already holding a
slot passes through again (nested calls: a token fetch, a query inside a query's block) instead of
deadlocking on its own slot.
"""
from __future__ import annotations

import fcntl
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from app.errors import AppError, DependencyUnavailable, UpstreamUnavailable
from app.services.resilience.breaker import BREAKER_REJECTED
from app.telemetry import gauge

BULKHEAD_IN_FLIGHT = gauge("bulkhead_in_flight", "Upstream calls holding a bulkhead slot.", ("upstream",),
                           mode="livesum")
_POLL = 0.005


class BulkheadRefusal:
    """Marker of "refused by a bulkhead": no call was made, so it says nothing about the upstream's health."""


class BulkheadFull(UpstreamUnavailable, BulkheadRefusal):
    """503 upstream_unavailable: too many calls to the upstream are already in flight."""


class DatabaseBusy(DependencyUnavailable, BulkheadRefusal):
    """503 dependency_unavailable: too many sessions of this worker wait on the database already."""


class HostSlots:
    """`size` slots shared by every process of the host, one lock file each under `directory`."""

    def __init__(self, directory: str, name: str, size: int) -> None:
        self.paths = [os.path.join(directory, f"{name}.{i}.slot") for i in range(size)]
        os.makedirs(directory, exist_ok=True)
        self._lock = threading.Lock()
        self._pid = 0
        self._fds: list[int] = []
        self._held: set[int] = set()

    def _files(self) -> list[int]:
        if self._pid != os.getpid():
            # After a fork the inherited descriptors share lock ownership with the parent: open our own.
            for fd in self._fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._fds = [os.open(path, os.O_RDWR | os.O_CREAT, 0o600) for path in self.paths]
            self._held, self._pid = set(), os.getpid()
        return self._fds

    def try_acquire(self) -> int | None:
        """A free slot's index, or None at once when every slot of the host is taken."""
        with self._lock:
            fds = self._files()
            start = random.randrange(len(fds))  # spread the processes over the slots
            for offset in range(len(fds)):
                index = (start + offset) % len(fds)
                if index in self._held:
                    continue  # flock is per open file: this process holding it would succeed again
                try:
                    fcntl.flock(fds[index], fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                self._held.add(index)
                return index
        return None

    def acquire(self, deadline: float, clock: Callable[[], float] = time.monotonic) -> int | None:
        while True:
            index = self.try_acquire()
            if index is not None:
                return index
            remaining = deadline - clock()
            if remaining <= 0:
                return None
            time.sleep(min(remaining, _POLL * (1 + random.random())))

    def release(self, index: int) -> None:
        with self._lock:
            if index in self._held and self._pid == os.getpid():
                fcntl.flock(self._fds[index], fcntl.LOCK_UN)
                self._held.discard(index)

    def in_use(self) -> int:
        """Slots taken host-wide (probes each free slot; for metrics and tests, not the hot path)."""
        taken = 0
        with self._lock:
            fds = self._files()
            for index, fd in enumerate(fds):
                if index in self._held:
                    taken += 1
                    continue
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    taken += 1
                else:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        return taken


class Bulkhead:
    """Per-process and per-host caps for one upstream; `slot()` wraps a call."""

    def __init__(self, name: str, per_process: int, per_host: int, wait: float, directory: str | None = None,
                 max_waiting: int | None = None, label: str | None = None, database: bool = False) -> None:
        self.name = name
        self.database = database  # refusals are DependencyUnavailable, as app/adapters/sql.py promises
        self.label = label or name.capitalize()
        self.per_process = per_process
        self.per_host = per_host
        self.wait = wait
        self.max_waiting = max_waiting
        self._process = threading.BoundedSemaphore(per_process) if per_process else None
        self._host = HostSlots(directory or ".", name, per_host) if per_host else None
        self._waiting = 0
        self._waiting_lock = threading.Lock()
        self._depth = threading.local()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for the block; raises BulkheadFull after waiting up to `wait` seconds."""
        depth = getattr(self._depth, "n", 0)
        if depth:  # this thread already holds a slot: a nested call must not wait for itself
            self._depth.n = depth + 1
            try:
                yield
            finally:
                self._depth.n = depth
            return
        deadline = time.monotonic() + self.wait
        if self._process is not None and not self._process.acquire(blocking=False):
            self._wait_for(self._process)
        try:
            index = None
            if self._host is not None:
                index = self._host.acquire(deadline)
                if index is None:
                    raise self._full("host")
            BULKHEAD_IN_FLIGHT.labels(self.name).inc()
            self._depth.n = 1
            try:
                yield
            finally:
                self._depth.n = 0
                BULKHEAD_IN_FLIGHT.labels(self.name).dec()
                if index is not None:
                    self._host.release(index)  # type: ignore[union-attr]
        finally:
            if self._process is not None:
                self._process.release()

    def _wait_for(self, semaphore: threading.BoundedSemaphore) -> None:
        with self._waiting_lock:
            if self.max_waiting is not None and self._waiting >= self.max_waiting:
                raise self._full("worker")  # enough threads wait already: keep the rest for other requests
            self._waiting += 1
        try:
            if not semaphore.acquire(timeout=self.wait):
                raise self._full("worker")
        finally:
            with self._waiting_lock:
                self._waiting -= 1

    def host_in_use(self) -> int:
        return self._host.in_use() if self._host is not None else 0

    def _full(self, scope: str) -> AppError:
        BREAKER_REJECTED.labels(self.name, f"bulkhead_{scope}").inc()
        message = f"too many concurrent {self.label} calls"
        if self.database:
            return DatabaseBusy(self.name, message, headers={"Retry-After": "1"},
                                details={"dependency": self.name, "bulkhead": scope})
        return BulkheadFull(self.name, message, retry_after=1, details={"upstream": self.name, "bulkhead": scope})
