"""The proxy's hot path (issue 14 item 4): a healthy breaker and the admin token are read from memory, and
what another worker writes still arrives (a breaker opened elsewhere, a token refreshed after a 401)."""
from __future__ import annotations

import time

import pytest

from app.adapters.magento.token import AdminTokenProvider, MemoryTokenStore
from app.services.resilience.breaker import CircuitBreaker, CircuitOpen, magento_open_error
from app.services.resilience.state import BreakerPolicy, BreakerRecord
from app.services.resilience.store import LocalStore
from app.services.resilience.upstreams import classify_magento
from tests.resilience.helpers import fail_once


class CountingStore(LocalStore):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.reads = 0

    def read(self, name: str) -> BreakerRecord:
        self.reads += 1
        return super().read(name)


def _breaker(store: LocalStore, refresh: float) -> CircuitBreaker:
    return CircuitBreaker("magento", BreakerPolicy(2, 10.0, probe_lease=5.0), store, classify=classify_magento,
                          open_error=magento_open_error, refresh=refresh)


def test_a_closed_breaker_is_read_from_memory_and_an_open_elsewhere_arrives_within_the_refresh(tmp_path) -> None:
    path = str(tmp_path / "breakers.sqlite3")
    mine, other = CountingStore(path), LocalStore(path)
    breaker = _breaker(mine, refresh=0.3)
    for _ in range(100):
        with breaker.guard():
            pass
    assert mine.reads <= 2  # one read fills the copy; 100 healthy calls cost no store access
    other_worker = _breaker(other, refresh=0.0)
    fail_once(other_worker)
    fail_once(other_worker)  # opened by "another worker"
    time.sleep(0.35)
    with pytest.raises(CircuitOpen):
        with breaker.guard():
            pass


def test_failures_are_counted_in_the_store_at_once(tmp_path) -> None:
    store = LocalStore(str(tmp_path / "breakers.sqlite3"))
    breaker = _breaker(store, refresh=60.0)
    fail_once(breaker)
    assert store.read("magento").failures == 1
    fail_once(breaker)  # the copy is dropped on a failure: the second one opens it, whatever the refresh
    assert store.read("magento").state == "open"
    with pytest.raises(CircuitOpen):
        with breaker.guard():
            pass


def test_the_admin_token_is_remembered_and_a_401_reads_the_store_again() -> None:
    store = MemoryTokenStore()
    fetched: list[str] = []

    def fetch() -> str:
        fetched.append(f"t{len(fetched) + 1}")
        return fetched[-1]

    now = [0.0]
    tokens = AdminTokenProvider(store, fetch, ttl=3600, refused_cooldown=60, lock_timeout=5, memo=5.0,
                                clock=lambda: now[0])
    assert tokens.current() == "t1"
    store.set("admin_token", "rotated-elsewhere", 3600)  # another worker refreshed it
    assert tokens.current() == "t1"  # within the memo: no store read
    assert tokens.refresh(stale="t1") == "rotated-elsewhere"  # a 401 on t1: the store's newer token, no fetch
    assert fetched == ["t1"]
    now[0] = 6.0
    store.set("admin_token", "t9", 3600)
    assert tokens.current() == "t9"  # the memo expired: read again
