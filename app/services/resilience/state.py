"""The circuit breaker's state machine, I/O-free: a record in, a decision and the next record out.

Kept apart from storage and logging (as Flask keeps `sansio` apart) so every transition is a pure function
that the stores apply inside one atomic read-modify-write, whichever process or host runs it.

States (Nygard, "Release It!"):
- closed: calls pass; consecutive failures are counted; `failure_threshold` of them open the breaker.
- open: calls are refused at once until `reset_timeout` has passed since it opened; it then *reads* as
  half-open ("a probe is due") without anyone writing it.
- half-open: exactly one caller took the probe lease (the stored open -> half-open transition); others are
  refused. The probe's success closes the breaker, its failure opens it again for another `reset_timeout`.
  A lease that outlives `probe_lease` (the probing worker was killed) is handed to the next caller.

Times are wall-clock seconds (time.time()): the record is shared between processes and hosts.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"
STATE_VALUES = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}  # the Prometheus gauge's encoding


@dataclass(frozen=True)
class BreakerPolicy:
    """When a breaker opens and how long it stays open."""

    failure_threshold: int = 5
    reset_timeout: float = 15.0
    # Longest a probe may run before another caller may probe: the guarded call's own time budget.
    probe_lease: float = 60.0


@dataclass(frozen=True)
class BreakerRecord:
    """What the shared store holds per breaker (JSON-serialised)."""

    state: str = CLOSED
    failures: int = 0
    opened_at: float = 0.0
    probe_until: float = 0.0
    opened_count: int = 0
    changed_at: float = 0.0
    last_failure: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes | None) -> BreakerRecord:
        if not raw:
            return cls()
        data = json.loads(raw)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class Admission:
    """The answer to "may this call go upstream?"; `probe` marks the one half-open trial call."""

    allowed: bool
    probe: bool = False
    retry_after: float = 0.0


PASS = Admission(True)


def effective_state(record: BreakerRecord, now: float, policy: BreakerPolicy) -> str:
    """The state as reported (health, metrics, sync jobs): open past its timeout reads as half-open."""
    if record.state == OPEN and now >= record.opened_at + policy.reset_timeout:
        return HALF_OPEN
    return record.state


def retry_after(record: BreakerRecord, now: float, policy: BreakerPolicy) -> float:
    """Seconds until a call may be tried again (0 when closed or when a probe is due)."""
    if record.state == OPEN:
        return max(0.0, record.opened_at + policy.reset_timeout - now)
    if record.state == HALF_OPEN and now < record.probe_until:
        # A probe is in flight; its answer comes within its lease, and at worst re-opens for reset_timeout.
        return max(1.0, min(record.probe_until - now, policy.reset_timeout))
    return 0.0


def admit(record: BreakerRecord, now: float, policy: BreakerPolicy) -> tuple[Admission, BreakerRecord | None]:
    """Decide one call; the second item is the record to store, or None when nothing changes.

    The closed path returns None, so the hot path of a healthy upstream is a read, never a write.
    """
    if record.state == CLOSED:
        return PASS, None
    wait = retry_after(record, now, policy)
    if wait > 0:
        return Admission(False, retry_after=wait), None
    # Open past its timeout, or half-open whose probe lease expired: this caller becomes the probe.
    probe = replace(record, state=HALF_OPEN, probe_until=now + policy.probe_lease,
                    changed_at=now if record.state != HALF_OPEN else record.changed_at)
    return Admission(True, probe=True), probe


def after_success(record: BreakerRecord, now: float, admission: Admission) -> BreakerRecord | None:
    """An upstream answer (2xx, or a 4xx: an answer is not an outage)."""
    if admission.probe and record.state == HALF_OPEN:
        return replace(record, state=CLOSED, failures=0, probe_until=0.0, changed_at=now)
    if record.state == CLOSED and record.failures:
        return replace(record, failures=0)  # the count is of *consecutive* failures
    return None


def after_failure(record: BreakerRecord, now: float, policy: BreakerPolicy, admission: Admission,
                  reason: str) -> BreakerRecord | None:
    """A timeout, connection error or 5xx. Opens on the threshold, or when the probe fails."""
    if admission.probe and record.state == HALF_OPEN:
        return _opened(record, now, reason)
    if record.state != CLOSED:
        return None  # a call admitted before the breaker opened: already accounted for
    failures = record.failures + 1
    if failures >= policy.failure_threshold:
        return _opened(replace(record, failures=failures), now, reason)
    return replace(record, failures=failures, last_failure=reason)


def release_probe(record: BreakerRecord, now: float, admission: Admission) -> BreakerRecord | None:
    """The probe never reached the upstream (bulkhead full, a bug): let the next caller probe."""
    if admission.probe and record.state == HALF_OPEN:
        return replace(record, probe_until=now)
    return None


def _opened(record: BreakerRecord, now: float, reason: str) -> BreakerRecord:
    return replace(record, state=OPEN, opened_at=now, probe_until=0.0, opened_count=record.opened_count + 1,
                   changed_at=now, last_failure=reason)
