"""Fail fast when an upstream is down: circuit breakers (Magento, MDM database, app database) and bulkheads.

Why under app/services/ and not app/adapters/: this is policy about upstreams (when to stop calling,
how many calls may wait) that *installs itself into* the adapters through their hooks
(`MagentoClient.set_guard`, `app.adapters.sql.install_guard`). Adapters stay unaware of it, and the
import direction stays services -> adapters.

Modules: state.py (the I/O-free state machine), store.py (shared state: SQLite in RUN_DIR per host, Redis
across hosts with a host-local fallback), breaker.py (CircuitBreaker, the 503 errors, metrics and the
transition log), bulkhead.py (per-process semaphore + per-host flock slots), upstreams.py (wiring: which
upstreams get a breaker and a bulkhead, their stores, guards, health and metrics).

API for sync jobs (and anything else that runs outside a request, inside an app context)::

    from app.services.resilience import BreakerOpen, breaker_state, wait_until_closed

    try:
        push_page(rows)                                    # Magento calls go through the breaker
    except BreakerOpen as exc:                             # no call was made: nothing to retry
        job.mark_waiting(upstream=exc.upstream)            # recorded as "waiting on magento"
        while not wait_until_closed("magento", timeout=60):
            if job.cancelled(): return                     # still waiting: keep the job paused
        job.mark_running()
        push_page(rows)                                    # the same page again: nothing is lost

An open breaker thus pauses the job (recorded as waiting on the upstream) instead of burning retries;
it resumes when the breaker closes. `wait_until_closed` also returns True when the breaker is
half-open with no probe in flight: the job's next call then *is* the probe that closes it (someone must
make it when the job is the only traffic). `breaker_state(name)` is "closed", "half-open" or "open";
`breaker_snapshot(name)` adds failures, retry-after and the last transition.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from app.services.resilience.breaker import (
    BreakerOpen,
    BreakerSnapshot,
    CircuitBreaker,
    CircuitOpen,
    DependencyCircuitOpen,
)
from app.services.resilience.bulkhead import Bulkhead, BulkheadFull, BulkheadRefusal, DatabaseBusy
from app.services.resilience.state import CLOSED, HALF_OPEN, OPEN
from app.services.resilience.upstreams import Resilience, get_resilience, init_app

UPSTREAMS = ("magento", "mdm_database", "app_database")


def breaker_snapshot(upstream: str) -> BreakerSnapshot | None:
    """The breaker's shared state, or None when breakers are off (BREAKERS_ENABLED=false)."""
    breaker = get_resilience().breakers.get(upstream)
    return breaker.snapshot() if breaker is not None else None


def breaker_state(upstream: str) -> str:
    """"closed", "half-open" (a probe is due or running) or "open"; "closed" when breakers are off."""
    snap = breaker_snapshot(upstream)
    return snap.state if snap is not None else CLOSED


def wait_until_closed(upstream: str, timeout: float, *, poll: float = 1.0,
                      sleep: Callable[[float], None] = time.sleep) -> bool:
    """Block up to `timeout` s until calls to `upstream` may go through; False when still refused.

    True when the breaker is closed, or half-open with no probe in flight (the caller's next call is
    the probe). Polls the shared store every `poll` s at most (sooner when the probe is due sooner).
    """
    deadline = time.monotonic() + timeout
    while True:
        snap = breaker_snapshot(upstream)
        if snap is None or snap.state == CLOSED or (snap.state == HALF_OPEN and snap.retry_after <= 0):
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        sleep(max(0.01, min(poll, remaining, snap.retry_after or poll)))


__all__ = [
    "CLOSED", "HALF_OPEN", "OPEN", "UPSTREAMS", "BreakerOpen", "BreakerSnapshot", "Bulkhead", "BulkheadFull",
    "BulkheadRefusal", "DatabaseBusy",
    "CircuitBreaker", "CircuitOpen", "DependencyCircuitOpen", "Resilience", "breaker_snapshot", "breaker_state",
    "get_resilience", "init_app", "wait_until_closed",
]
