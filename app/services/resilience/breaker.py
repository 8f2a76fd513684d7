"""CircuitBreaker: the state machine of state.py applied to a shared store, with logs, metrics and errors.

Why not pybreaker (1.4.1) itself: `CircuitBreaker.call` holds one RLock for the whole guarded call, so
every thread of a worker queues behind a single hanging Magento call (the starvation this package exists
to prevent); its half-open state lets every caller of every other process through (no single probe);
and listeners fire in each process that *notices* a change, so a transition is logged once per worker.
Here the hot path takes no lock, a transition is one atomic store update, and only the process whose
update changed the state logs it and counts it.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.errors import AppError, DependencyUnavailable, UpstreamUnavailable
from app.services.resilience.state import (
    CLOSED,
    STATE_VALUES,
    Admission,
    BreakerPolicy,
    BreakerRecord,
    admit,
    after_failure,
    after_success,
    effective_state,
    release_probe,
    retry_after,
)
from app.services.resilience.store import BreakerStore
from app.telemetry import counter, gauge

log = logging.getLogger(__name__)

BREAKER_STATE = gauge("breaker_state", "Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open.",
                      ("upstream",), mode="mostrecent")
BREAKER_TRANSITIONS = counter("breaker_transitions_total", "Circuit breaker transitions, by upstream and new state.",
                              ("upstream", "to"))
BREAKER_REJECTED = counter("breaker_rejected_total", "Upstream calls refused at once (open breaker, full bulkhead).",
                           ("upstream", "reason"))
# "Does this exception say the upstream is failing?" True: count it; False: it answered; None: neither.
Classifier = Callable[[BaseException], "bool | None"]


class BreakerOpen:
    """Marker of "refused because the upstream's breaker is open": sync jobs wait instead of retrying."""

    upstream: str
    retry_after: float | None


class CircuitOpen(UpstreamUnavailable, BreakerOpen):
    """503 upstream_unavailable with Retry-After: the upstream's breaker is open (no call was made)."""


class DependencyCircuitOpen(DependencyUnavailable, BreakerOpen):
    """503 dependency_unavailable with Retry-After: a database's breaker is open.

    A DependencyUnavailable, because that is what app/adapters/sql.py promises its callers for "the
    database cannot serve us now" (the MDM health check and services catch exactly that type).
    """

    def __init__(self, dependency: str, message: str, *, retry_after: float) -> None:
        wait = str(max(1, int(round(retry_after))))
        super().__init__(dependency, message, headers={"Retry-After": wait},
                         details={"dependency": dependency, "breaker": "open", "retryAfter": float(wait)})
        self.upstream = dependency
        self.retry_after = retry_after


def magento_open_error(name: str, wait: float) -> AppError:
    return CircuitOpen(name, f"{name} is failing; its circuit breaker is open.", retry_after=wait,
                       details={"upstream": name, "breaker": "open"})


def database_open_error(name: str, wait: float) -> AppError:
    return DependencyCircuitOpen(name, f"The {name} is failing; its circuit breaker is open.", retry_after=wait)


@dataclass(frozen=True)
class BreakerSnapshot:
    """What health, metrics and sync jobs see of a breaker."""

    name: str
    state: str
    failures: int
    opened_count: int
    retry_after: float
    last_transition: float
    last_failure: str
    backend: str

    def as_dict(self) -> dict[str, Any]:
        changed = (datetime.fromtimestamp(self.last_transition, UTC).isoformat(timespec="seconds")
                   if self.last_transition else None)
        return {"state": self.state, "failures": self.failures, "openedCount": self.opened_count,
                "retryAfter": round(self.retry_after, 1), "lastTransition": changed,
                "lastFailure": self.last_failure or None, "store": self.backend}


class CircuitBreaker:
    """One upstream's breaker. `guard()` wraps a call; `snapshot()` reports; both are thread-safe."""

    def __init__(self, name: str, policy: BreakerPolicy, store: BreakerStore, *, classify: Classifier,
                 open_error: Callable[[str, float], AppError], clock: Callable[[], float] = time.time,
                 refresh: float = 0.0) -> None:
        self.name = name
        # The hot path reads an in-memory copy of the record, re-read from the store after `refresh` s
        # (0 = every call). Only a copy saying "closed, no failures" is trusted: anything else (failures
        # counted, open, half-open) is read fresh, and every transition is an atomic store update. So
        # another worker's "open" reaches this one within `refresh` s, at the cost of up to that many
        # calls that the shared breaker would have refused.
        self.refresh = refresh
        self._cached: tuple[BreakerRecord, float] | None = None
        self.policy = policy
        self.store = store
        self.classify = classify
        self.open_error = open_error
        self._clock = clock
        self._seen_state: str | None = None  # last state this process published to the gauge
        self._store_error_logged = 0.0
        self._gauge_lock = threading.Lock()

    # -- the call path -------------------------------------------------------------------------------
    @contextmanager
    def guard(self) -> Iterator[Admission]:
        """Run the block if the breaker admits it, and record its outcome. Raises `open_error` when open."""
        admission = self.admit()
        try:
            yield admission
        except BaseException as exc:
            verdict = self.classify(exc)
            if verdict is True:
                reason = _reason(exc)
                self._record(lambda r, now: after_failure(r, now, self.policy, admission, reason))
            elif verdict is False:
                self._record(lambda r, now: after_success(r, now, admission))
            elif admission.probe:
                self._record(lambda r, now: release_probe(r, now, admission))
            raise
        self._record(lambda r, now: after_success(r, now, admission), fast=not admission.probe)

    def admit(self) -> Admission:
        now = self._clock()
        record = self._read(cached=True)
        if record is None:
            return Admission(True)  # store broken: fail open, the call's own timeouts still bound it
        decision, change = admit(record, now, self.policy)
        if change is not None:  # not closed: decide again inside the atomic update (another process may race)
            box: list[Admission] = [decision]

            def mutate(current: BreakerRecord) -> BreakerRecord | None:
                box[0], new = admit(current, self._clock(), self.policy)
                return new

            if self._update(mutate) is None:
                return Admission(True)
            decision = box[0]
        if not decision.allowed:
            BREAKER_REJECTED.labels(self.name, "open").inc()
            raise self.open_error(self.name, decision.retry_after)
        return decision

    def _record(self, mutate: Callable[[BreakerRecord, float], BreakerRecord | None], fast: bool = False) -> None:
        if fast:
            # A success on a closed breaker with no failures changes nothing: skip the write transaction.
            record = self._read(cached=True)
            if record is None or mutate(record, self._clock()) is None:
                return
        self._update(lambda current: mutate(current, self._clock()))

    # -- reporting -----------------------------------------------------------------------------------
    def snapshot(self) -> BreakerSnapshot:
        record = self._read() or BreakerRecord()
        now = self._clock()
        return BreakerSnapshot(self.name, effective_state(record, now, self.policy), record.failures,
                               record.opened_count, retry_after(record, now, self.policy), record.changed_at,
                               record.last_failure, self.store.backend)

    def state(self) -> str:
        return self.snapshot().state

    def reset(self) -> None:
        """Force closed (operators, tests)."""
        self._update(lambda current: BreakerRecord(opened_count=current.opened_count, changed_at=self._clock())
                     if current.state != CLOSED or current.failures else None)

    # -- store access: failures of the store never fail the call -------------------------------------
    def _read(self, cached: bool = False) -> BreakerRecord | None:
        if cached and self.refresh > 0:
            copy = self._cached
            if copy is not None and time.monotonic() < copy[1]:
                return copy[0]
        try:
            record = self.store.read(self.name)
        except Exception as exc:
            self._store_failed(exc)
            return None
        self._remember(record)
        self._publish(effective_state(record, self._clock(), self.policy))
        return record

    def _remember(self, record: BreakerRecord) -> None:
        if self.refresh > 0:
            healthy = record.state == CLOSED and not record.failures
            self._cached = (record, time.monotonic() + self.refresh) if healthy else None

    def _update(self, mutate: Callable[[BreakerRecord], BreakerRecord | None]) -> BreakerRecord | None:
        try:
            before, after = self.store.update(self.name, mutate)
        except Exception as exc:
            self._store_failed(exc)
            return None
        self._remember(after)
        if before.state != after.state:
            self._transitioned(before, after)
        self._publish(effective_state(after, self._clock(), self.policy))
        return after

    def _transitioned(self, before: BreakerRecord, after: BreakerRecord) -> None:
        # Only the process whose atomic update changed the state gets here: one log line per transition.
        BREAKER_TRANSITIONS.labels(self.name, after.state).inc()
        level = logging.INFO if after.state == CLOSED else logging.WARNING
        log.log(level, "circuit breaker %s: %s -> %s", self.name, before.state, after.state,
                extra={"upstream": self.name, "from": before.state, "to": after.state,
                       "failures": after.failures, "openedCount": after.opened_count,
                       "reason": after.last_failure or None})

    def _publish(self, state: str) -> None:
        # mostrecent gauge: the newest write from any worker wins, so write whenever this process sees a change.
        if state != self._seen_state:
            with self._gauge_lock:
                self._seen_state = state
                BREAKER_STATE.labels(self.name).set(STATE_VALUES[state])

    def _store_failed(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._store_error_logged > 30.0:  # a broken store must not flood the log on every call
            self._store_error_logged = now
            log.error("circuit breaker %s: state store failed (%s: %s); calls pass unguarded",
                      self.name, type(exc).__name__, exc, extra={"upstream": self.name})


def _reason(exc: BaseException) -> str:
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    return f"{type(exc).__name__}" + (f" {status}" if isinstance(status, int) else "") + (
        f" ({code})" if isinstance(code, str) else "")
