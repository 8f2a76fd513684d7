"""Helpers for the resilience tests: breakers on a temp store, and child-process bodies (importable for spawn)."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from app.errors import UpstreamTimeout
from app.services.resilience.breaker import CircuitBreaker, magento_open_error
from app.services.resilience.bulkhead import Bulkhead
from app.services.resilience.state import BreakerPolicy
from app.services.resilience.store import LocalStore
from app.services.resilience.upstreams import classify_magento


class Clock:
    """A settable wall clock shared by the breakers of one test."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_breaker(path: str, name: str = "magento", *, threshold: int = 3, reset: float = 10.0,
                 clock: Any = time.time, store: Any = None) -> CircuitBreaker:
    return CircuitBreaker(name, BreakerPolicy(threshold, reset, probe_lease=5.0), store or LocalStore(path),
                          classify=classify_magento, open_error=magento_open_error, clock=clock)


def fail_once(breaker: CircuitBreaker) -> None:
    try:
        with breaker.guard():
            raise UpstreamTimeout(breaker.name)
    except Exception:
        pass


def child_open_breaker(path: str, name: str, threshold: int) -> None:
    """Another 'worker': fail until the breaker opens."""
    breaker = make_breaker(path, name, threshold=threshold, reset=60.0)
    for _ in range(threshold):
        fail_once(breaker)


def child_hammer_failures(path: str, name: str, threshold: int, start_at: float, calls: int) -> None:
    """Fail `calls` times, starting together with the other children (races the open transition)."""
    breaker = make_breaker(path, name, threshold=threshold, reset=60.0)
    while time.time() < start_at:
        time.sleep(0.001)
    for _ in range(calls):
        fail_once(breaker)


def child_hold_slot(directory: str, name: str, per_host: int, ready: str, release: str) -> None:
    """Another worker holding one host-wide slot until the `release` file appears (or it is killed).

    Files, not multiprocessing.Event: killing a process that waits on an Event breaks the Event for all.
    """
    bulkhead = Bulkhead(name, 0, per_host, 1.0, directory)
    with bulkhead.slot():
        Path(ready).touch()
        deadline = time.monotonic() + 30
        while not Path(release).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
