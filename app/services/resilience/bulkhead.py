"""Bulkheads: caps on concurrent in-flight calls to one upstream, per worker process and per host.

Per process: a counter under one lock (a condition variable for the waiters), so Magento calls can never
hold more than `per_process` threads of a worker.

Per host: N slot files in RUN_DIR, each taken with a non-blocking `flock`. Chosen over POSIX named
semaphores (no stdlib binding; a worker SIGKILLed by Gunicorn's timeout while holding one leaks the slot
for good) and over a counter in SQLite (same leak unless every holder is tracked and reaped): the kernel
drops a flock when its holder dies, however it dies, so a crashed worker never shrinks the bulkhead.
Taking a slot is at most N non-blocking syscalls; a caller that finds none free polls (5 ms doubling to
50 ms) until its wait ends, then the call is refused with a 503 and Retry-After.

The wait is as long as the caller can afford: BULKHEAD_WAIT (10 s), at most half of what is left of the
call's own budget (config/budgets.py), because the React dashboard fires 22 calls at once and a caller
that waited a few seconds is still answered long before the frontend's 30 s timeout. A waiting caller
holds a Gunicorn thread, so the queue is bounded per process (`max_waiting` = the threads the cap leaves):
a call that finds it full is refused at once (the door). When the bulkhead stalls (full, and no call
completed for a while: the upstream hangs) the queue shrinks by one, and the waiter over the bound leaves,
so one thread stays free for health, readiness and grids. A thread already holding a slot passes through
again (nested calls: a token fetch, a query inside a query's block) instead of deadlocking on its own slot.
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
from config.budgets import wait_for_slot

BULKHEAD_IN_FLIGHT = gauge("bulkhead_in_flight", "Upstream calls holding a bulkhead slot.", ("upstream",),
                           mode="livesum")
_POLL = 0.005  # first poll interval of a host-slot wait; doubles up to _POLL_MAX
_POLL_MAX = 0.05
# A full bulkhead where no call *completed* for this long is stalled (the upstream hangs): its queue keeps
# one thread free. The limit is 4 x the recent call time (EWMA), within [STALL_MIN, STALLED_AFTER]: a hang
# is noticed within 0.25 s when the shop answers in tens of ms, and a slow shop (1 s pages) is not mistaken
# for a hanging one. Measured (docs/resilience.md): a fixed one-thread reserve cost 10 x 503 in a 10-user
# burst at 300 ms shop latency; with the stall rule, 0.
STALLED_AFTER = 2.0
STALL_MIN = 0.25
_STALL_CHECK = 0.05  # waiters re-check the stall rule this often (seconds)
_EWMA_WEIGHT = 0.2
RETRY_AFTER = 1  # seconds, on every bulkhead refusal: a burst drains in about that time


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
        poll = _POLL
        while True:
            index = self.try_acquire()
            if index is not None:
                return index
            remaining = deadline - clock()
            if remaining <= 0:
                return None
            time.sleep(min(remaining, poll * (1 + random.random())))
            poll = min(_POLL_MAX, poll * 2)  # long waits (seconds) must not spin on flock

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
    """Per-process and per-host caps for one upstream, with a bounded queue; `slot()` wraps a call."""

    def __init__(self, name: str, per_process: int, per_host: int, wait: float, directory: str | None = None,
                 max_waiting: int | None = None, label: str | None = None, database: bool = False,
                 stalled_after: float = STALLED_AFTER, first_stall: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.database = database  # refusals are DependencyUnavailable, as app/adapters/sql.py promises
        self.label = label or name.capitalize()
        self.per_process = per_process
        self.per_host = per_host
        self.wait = wait
        self.max_waiting = max_waiting
        self.stalled_after = stalled_after
        self.first_stall = stalled_after if first_stall is None else first_stall  # the limit before any call time
        self._clock = clock
        self._host = HostSlots(directory or ".", name, per_host) if per_host else None
        # One plain lock for the process-level accounting: the uncontended path is one acquire/release.
        self._cond = threading.Condition(threading.Lock())
        self._in_flight = 0
        self._waiting = 0
        self._progress_at = clock()  # last completed call, or when the bulkhead last became full
        # EWMA of completed calls' slot time (s); None until a call completed. A fresh worker's first burst
        # at a slow shop is not a hang: with no call time to judge by, the stall limit is `first_stall`
        # (an EWMA started at 0 judged it at 0.25 s: 26 x 503 in a fresh 10-user burst, large shop, 200 ms).
        self._call_time: float | None = None
        self._depth = threading.local()

    @contextmanager
    def slot(self, deadline: float | None = None) -> Iterator[None]:
        """Hold a slot for the block. Waits up to `wait` s, and at most half of what is left until the call's
        `deadline` (same clock); raises BulkheadFull/DatabaseBusy when the wait ends or the queue is full."""
        depth = getattr(self._depth, "n", 0)
        if depth:  # this thread already holds a slot: a nested call must not wait for itself
            self._depth.n = depth + 1
            try:
                yield
            finally:
                self._depth.n = depth
            return
        now = self._clock()
        wait = self.wait if deadline is None else wait_for_slot(self.wait, deadline - now)
        end = now + wait
        if self.per_process:
            self._take(end)
        completed, started = False, now
        try:
            index = None
            if self._host is not None:
                index = self._host.acquire(end, self._clock)
                if index is None:
                    raise self._full("host")
            BULKHEAD_IN_FLIGHT.labels(self.name).inc()
            self._depth.n = 1
            started = self._clock()
            try:
                yield
                completed = True
            finally:
                self._depth.n = 0
                BULKHEAD_IN_FLIGHT.labels(self.name).dec()
                if index is not None and self._host is not None:  # an index comes only from the host
                    self._host.release(index)
        finally:
            if self.per_process:
                self._give_back(started, completed)

    def _take(self, end: float) -> None:
        with self._cond:
            if self._in_flight < self.per_process:
                self._in_flight += 1
                if self._in_flight == self.per_process:
                    self._progress_at = self._clock()  # full from now: a stall is measured from here
                return
            if self.max_waiting is not None and self._waiting >= self._queue_bound():
                raise self._full("worker")  # the queue is full: refused at the door
            self._waiting += 1
            try:
                while self._in_flight >= self.per_process:
                    remaining = end - self._clock()
                    if remaining <= 0:
                        raise self._full("worker")
                    if self.max_waiting is not None and self._waiting > self._queue_bound():
                        raise self._full("worker")  # stalled meanwhile: give the thread back
                    self._cond.wait(min(remaining, _STALL_CHECK))
                self._in_flight += 1
            finally:
                self._waiting -= 1

    def _give_back(self, started: float, completed: bool) -> None:
        with self._cond:
            self._in_flight -= 1
            if completed:  # a call that failed (timed out) is no sign that the upstream is moving
                now = self._clock()
                self._progress_at = now
                took = now - started
                self._call_time = took if self._call_time is None else \
                    self._call_time + _EWMA_WEIGHT * (took - self._call_time)
            self._cond.notify()

    def _queue_bound(self) -> int:
        """max_waiting while calls complete; one less once the bulkhead stalls (full, and no call completed
        for 4 x the recent call time, within [STALL_MIN, stalled_after]): that thread stays free for health,
        readiness and grids."""
        bound = self.max_waiting or 0
        limit = self.first_stall if self._call_time is None else \
            min(self.stalled_after, max(STALL_MIN, 4 * self._call_time))
        if self._in_flight >= self.per_process and self._clock() - self._progress_at > limit:
            bound -= 1
        return max(0, bound)

    def stats(self) -> dict[str, int]:
        """In flight and waiting in this process (metrics; not the hot path)."""
        with self._cond:
            return {"inFlight": self._in_flight, "waiting": self._waiting}

    def host_in_use(self) -> int:
        return self._host.in_use() if self._host is not None else 0

    def _full(self, scope: str) -> AppError:
        BREAKER_REJECTED.labels(self.name, f"bulkhead_{scope}").inc()
        message = f"too many concurrent {self.label} calls"
        if self.database:
            return DatabaseBusy(self.name, message, headers={"Retry-After": str(RETRY_AFTER)},
                                details={"dependency": self.name, "bulkhead": scope})
        return BulkheadFull(self.name, message, retry_after=RETRY_AFTER,
                            details={"upstream": self.name, "bulkhead": scope})
