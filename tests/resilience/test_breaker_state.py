"""The I/O-free state machine: every transition as a pure function of (record, time)."""
from __future__ import annotations

from app.services.resilience.state import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    Admission,
    BreakerPolicy,
    BreakerRecord,
    admit,
    after_failure,
    after_success,
    effective_state,
    release_probe,
)

POLICY = BreakerPolicy(failure_threshold=3, reset_timeout=10.0, probe_lease=5.0)
PASS = Admission(True)


def _fail(record: BreakerRecord, now: float, admission: Admission = PASS) -> BreakerRecord:
    return after_failure(record, now, POLICY, admission, "UpstreamTimeout") or record


def test_closed_admits_without_writing() -> None:
    decision, change = admit(BreakerRecord(), 100.0, POLICY)
    assert decision.allowed and not decision.probe and change is None


def test_threshold_of_consecutive_failures_opens() -> None:
    record = BreakerRecord()
    for now in (1.0, 2.0):
        record = _fail(record, now)
        assert record.state == CLOSED
    record = _fail(record, 3.0)
    assert record.state == OPEN and record.opened_at == 3.0 and record.opened_count == 1


def test_a_success_resets_the_consecutive_count() -> None:
    record = _fail(_fail(BreakerRecord(), 1.0), 2.0)
    record = after_success(record, 3.0, PASS) or record
    assert record.failures == 0 and _fail(record, 4.0).state == CLOSED


def test_open_refuses_with_seconds_until_half_open() -> None:
    record = BreakerRecord(state=OPEN, opened_at=100.0)
    decision, change = admit(record, 104.0, POLICY)
    assert not decision.allowed and decision.retry_after == 6.0 and change is None
    assert effective_state(record, 104.0, POLICY) == OPEN


def test_after_reset_timeout_one_probe_then_others_refused() -> None:
    record = BreakerRecord(state=OPEN, opened_at=100.0)
    assert effective_state(record, 110.0, POLICY) == HALF_OPEN
    probe, record = admit(record, 110.0, POLICY)
    assert probe.allowed and probe.probe and record is not None and record.state == HALF_OPEN
    other, _ = admit(record, 111.0, POLICY)
    assert not other.allowed and other.retry_after >= 1.0


def test_probe_success_closes_and_failure_reopens() -> None:
    probe, half = admit(BreakerRecord(state=OPEN, opened_at=0.0, opened_count=1), 20.0, POLICY)
    assert half is not None
    closed = after_success(half, 21.0, probe)
    assert closed is not None and closed.state == CLOSED and closed.failures == 0
    reopened = after_failure(half, 21.0, POLICY, probe, "UpstreamTimeout")
    assert reopened is not None and reopened.state == OPEN and reopened.opened_at == 21.0
    assert reopened.opened_count == 2


def test_an_expired_probe_lease_goes_to_the_next_caller() -> None:
    _, half = admit(BreakerRecord(state=OPEN, opened_at=0.0), 20.0, POLICY)
    assert half is not None
    again, renewed = admit(half, 26.0, POLICY)  # lease 5 s: the first prober died
    assert again.probe and renewed is not None and renewed.probe_until == 31.0


def test_a_released_probe_lets_the_next_caller_probe_at_once() -> None:
    probe, half = admit(BreakerRecord(state=OPEN, opened_at=0.0), 20.0, POLICY)
    released = release_probe(half, 20.5, probe)  # type: ignore[arg-type]
    assert released is not None
    assert admit(released, 20.6, POLICY)[0].probe


def test_late_results_of_calls_admitted_before_opening_change_nothing() -> None:
    record = BreakerRecord(state=OPEN, opened_at=5.0, opened_count=1)
    assert after_failure(record, 6.0, POLICY, PASS, "x") is None
    assert after_success(record, 6.0, PASS) is None


def test_record_round_trips_through_json() -> None:
    record = BreakerRecord(state=OPEN, failures=3, opened_at=1.5, opened_count=2, last_failure="x")
    assert BreakerRecord.from_json(record.to_json()) == record
    assert BreakerRecord.from_json(None) == BreakerRecord()
