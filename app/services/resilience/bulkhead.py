"""Bulkheads: caps on concurrent in-flight calls to one upstream, per worker process and per host.

Per process: a `threading.BoundedSemaphore`, so Magento calls can never hold every gthread thread of a
worker (the rest stay free for probes, grids and metrics).

Per host: N slot files in RUN_DIR, each taken with a non-blocking `flock`. Chosen over POSIX named
semaphores (no stdlib binding; a worker SIGKILLed by Gunicorn's timeout while holding one leaks the slot
for good) and over a counter in SQLite (same leak unless every holder is tracked and reaped): the kernel
drops a flock when its holder dies, however it dies, so a crashed worker never shrinks the bulkhead.
Taking a slot is at most N non-blocking syscalls; a caller that finds none free polls every few
milliseconds until its wait (BULKHEAD_WAIT) ends, then the call is refused with a 503 and Retry-After.
"""
from __future__ import annotations

import fcntl
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from app.errors import UpstreamUnavailable
from app.services.resilience.breaker import BREAKER_REJECTED
from app.telemetry import gauge

BULKHEAD_IN_FLIGHT = gauge("bulkhead_in_flight", "Upstream calls holding a bulkhead slot.", ("upstream",),
                           mode="livesum")
_POLL = 0.005


class BulkheadFull(UpstreamUnavailable):
    """503 upstream_unavailable: too many calls to the upstream are already in flight."""


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

    def __init__(self, name: str, per_process: int, per_host: int, wait: float, directory: str) -> None:
        self.name = name
        self.per_process = per_process
        self.per_host = per_host
        self.wait = wait
        self._process = threading.BoundedSemaphore(per_process) if per_process else None
        self._host = HostSlots(directory, name, per_host) if per_host else None

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for the block; raises BulkheadFull after waiting up to `wait` seconds."""
        deadline = time.monotonic() + self.wait
        if self._process is not None and not self._process.acquire(timeout=self.wait):
            raise self._full("worker")
        try:
            index = None
            if self._host is not None:
                index = self._host.acquire(deadline)
                if index is None:
                    raise self._full("host")
            BULKHEAD_IN_FLIGHT.labels(self.name).inc()
            try:
                yield
            finally:
                BULKHEAD_IN_FLIGHT.labels(self.name).dec()
                if index is not None:
                    self._host.release(index)  # type: ignore[union-attr]
        finally:
            if self._process is not None:
                self._process.release()

    def host_in_use(self) -> int:
        return self._host.in_use() if self._host is not None else 0

    def _full(self, scope: str) -> BulkheadFull:
        BREAKER_REJECTED.labels(self.name, f"bulkhead_{scope}").inc()
        return BulkheadFull(self.name, f"too many concurrent {self.name.capitalize()} calls", retry_after=1,
                            details={"upstream": self.name, "bulkhead": scope})
