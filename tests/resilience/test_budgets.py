"""Budgets and bulkhead waits: computed once (config/budgets.py), an interactive call ends before the frontend
gives up, a background call keeps its longer budget, a burst queues instead of being refused."""
from __future__ import annotations

import threading
import time

import httpx
import pytest
from flask import Flask

from app.adapters.magento import MagentoClient, config_from_settings
from app.adapters.magento.client import CallInfo
from app.adapters.magento.token import MemoryTokenStore
from app.errors import AppError
from app.services.resilience.bulkhead import Bulkhead, BulkheadFull
from config import ConfigError, budgets, load_settings

pytestmark = pytest.mark.timeout(60)
FRONTEND_TIMEOUT = 30.0  # the React frontend's axios timeout
DEV_PROXY_TIMEOUT = 10.0  # its Vite development proxy


# -- budgets -------------------------------------------------------------------------------------------
def test_default_budgets_end_before_the_frontend_gives_up_and_jobs_keep_theirs() -> None:
    settings = load_settings("production", environ={"SECRET_KEY": "x" * 32})
    request = budgets.magento_request_budget(settings)
    assert request == 20.0 and request < FRONTEND_TIMEOUT
    assert budgets.magento_job_budget(settings) == 45.0  # sync jobs keep MAGENTO_RETRY_MAX_TIME
    # The wait for a slot is part of the budget and at most half of it: the call keeps the other half.
    assert budgets.slot_wait(settings, request) == 10.0
    assert budgets.wait_for_slot(10.0, 4.0) == 2.0 and budgets.wait_for_slot(10.0, -1.0) == 0.0
    # One database session: pool wait + connect + statement; a queued session still ends before the frontend.
    db = budgets.db_call_budget(settings)
    assert db == 2 * 2.0 + 15.0
    assert budgets.slot_wait(settings, db) + db < FRONTEND_TIMEOUT


def test_budgets_are_capped_below_the_gunicorn_timeout() -> None:
    settings = load_settings("testing", environ={"GUNICORN_TIMEOUT": "18", "MAGENTO_RETRY_MAX_TIME": "120",
                                                 "DB_STATEMENT_TIMEOUT": "5"})
    assert budgets.magento_job_budget(settings) == 13.0
    assert budgets.magento_request_budget(settings) == 13.0  # never above the job budget either
    config = config_from_settings(settings)
    assert config.retry.max_time == 13.0 and config.request_budget == 13.0


def test_mdm_bulkhead_is_the_pool_and_never_tighter() -> None:
    settings = load_settings("testing", environ={"DB_POOL_SIZE": "7"})
    assert budgets.pool_capacity(7) == 14 == budgets.mdm_per_worker(settings)
    with pytest.raises(ConfigError) as refused:
        load_settings("testing", environ={"DB_POOL_SIZE": "7", "MDM_MAX_CONCURRENT_PER_WORKER": "13"})
    assert "MDM_MAX_CONCURRENT_PER_WORKER: 13 is tighter than the MDM pool (14" in str(refused.value)
    assert budgets.mdm_per_worker(load_settings("testing", environ={"MDM_MAX_CONCURRENT_PER_WORKER": "20"})) == 20


def test_a_slot_wait_that_outlives_the_worker_is_refused_at_start() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings("testing", environ={"GUNICORN_TIMEOUT": "25", "BULKHEAD_WAIT": "10"})
    assert "BULKHEAD_WAIT/DB_*_TIMEOUT" in str(refused.value)


def test_the_sql_pool_uses_the_same_capacity(tmp_path) -> None:
    from app.adapters.sql import create_engine_for

    engine = create_engine_for(f"sqlite:///{tmp_path / 'x.sqlite3'}", pool_size=3)
    try:
        assert engine.pool.size() + engine.pool._max_overflow == budgets.pool_capacity(3)
    finally:
        engine.dispose()


# -- the Magento client: which budget a call gets ---------------------------------------------------------
def _busy_shop_client(request_budget: float, job_budget: float, seen: list[CallInfo],
                     clock: list[float]) -> MagentoClient:
    settings = load_settings("testing", environ={"MAGENTO_URL": "http://shop.test", "MAGENTO_USERNAME": "u",
                                                 "MAGENTO_PASSWORD": "p", "MAGENTO_REQUEST_BUDGET": str(request_budget),
                                                 "MAGENTO_RETRY_MAX_TIME": str(job_budget),
                                                 "MAGENTO_RETRY_MAX_ATTEMPTS": "50",
                                                 "MAGENTO_RETRY_BACKOFF_BASE": "0.05"})

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("integration/admin/token"):
            return httpx.Response(200, json="token")
        clock[0] += 1.0  # each attempt takes one (fake) second, then the shop answers 503
        return httpx.Response(503, json={"message": "busy"})

    def guard(call, info):
        seen.append(info)
        return call()

    return MagentoClient(config_from_settings(settings), token_store=MemoryTokenStore(),
                         transport=httpx.MockTransport(answer), guard=guard, clock=lambda: clock[0],
                         sleep=lambda s: clock.__setitem__(0, clock[0] + s))


def test_a_call_made_for_a_request_gets_the_request_budget_and_a_job_call_the_long_one() -> None:
    # The shop answers 503 to every attempt, each taking one (fake) second: the call retries until its budget.
    seen: list[CallInfo] = []
    clock = [0.0]
    client = _busy_shop_client(request_budget=3.0, job_budget=9.0, seen=seen, clock=clock)
    app = Flask(__name__)
    with app.test_request_context("/api/magento/products"), pytest.raises(AppError) as in_request:
        client.request("GET", "V1/products")
    request_took, started = clock[0], clock[0]
    with pytest.raises(AppError) as in_job:  # no request: a sync job, a snapshot builder
        client.request("GET", "V1/products")
    job_took = clock[0] - started
    interactive, background = seen[0], seen[-1]
    assert interactive.interactive and interactive.deadline == pytest.approx(3.0)
    assert not background.interactive and background.deadline == pytest.approx(started + 9.0)
    # Retries run until the budget: the last attempt may start just before the end, and a jittered backoff
    # may leave less than one attempt (1 s) plus its backoff unused.
    assert 3.0 - 1.5 <= request_took <= 3.0 + 1.0
    assert 9.0 - 1.5 <= job_took <= 9.0 + 1.0
    assert in_request.value.status in (503, 504) and in_job.value.status in (503, 504)


# -- the bulkhead: a burst queues, a full queue is refused at the door, a stall keeps a thread free --------
def _run(bulkhead: Bulkhead, hold: float, results: list[str], deadline: float | None = None) -> None:
    try:
        with bulkhead.slot(deadline):
            time.sleep(hold)
        results.append("ok")
    except BulkheadFull:
        results.append("refused")


def test_a_burst_larger_than_the_cap_waits_for_slots_instead_of_being_refused(tmp_path) -> None:
    # 22 callers (the dashboard), 2 slots, each call 50 ms: the last waits ~0.5 s, well within its wait.
    bulkhead = Bulkhead("magento", per_process=2, per_host=4, wait=10.0, directory=str(tmp_path), max_waiting=20)
    results: list[str] = []
    threads = [threading.Thread(target=_run, args=(bulkhead, 0.05, results)) for _ in range(22)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results.count("ok") == 22, results
    assert time.monotonic() - started < 10.0
    assert bulkhead.stats() == {"inFlight": 0, "waiting": 0}


def test_a_full_queue_is_refused_at_once_with_retry_after(tmp_path) -> None:
    bulkhead = Bulkhead("magento", per_process=1, per_host=0, wait=5.0, max_waiting=1)
    release = threading.Event()
    holder = threading.Thread(target=lambda: _hold(bulkhead, release))
    waiter_results: list[str] = []
    holder.start()
    _until(lambda: bulkhead.stats()["inFlight"] == 1)
    waiter = threading.Thread(target=_run, args=(bulkhead, 0.0, waiter_results))
    waiter.start()
    _until(lambda: bulkhead.stats()["waiting"] == 1)
    started = time.monotonic()
    with pytest.raises(BulkheadFull) as refused:
        with bulkhead.slot():
            pass
    assert time.monotonic() - started < 0.5  # at the door, no wait
    assert refused.value.status == 503 and refused.value.headers["Retry-After"] == "1"
    assert refused.value.details == {"upstream": "magento", "bulkhead": "worker"}
    release.set()
    holder.join(5)
    waiter.join(5)
    assert waiter_results == ["ok"]  # the queued caller got the slot


def test_the_wait_is_at_most_half_of_what_is_left_of_the_call_budget() -> None:
    bulkhead = Bulkhead("magento", per_process=1, per_host=0, wait=10.0, max_waiting=5)
    release = threading.Event()
    holder = threading.Thread(target=lambda: _hold(bulkhead, release))
    holder.start()
    _until(lambda: bulkhead.stats()["inFlight"] == 1)
    started = time.monotonic()
    with pytest.raises(BulkheadFull):
        with bulkhead.slot(deadline=time.monotonic() + 0.6):
            pass
    waited = time.monotonic() - started
    release.set()
    holder.join(5)
    assert 0.2 < waited < 1.0  # ~0.3 s: half of the 0.6 s left, not BULKHEAD_WAIT's 10 s


def test_a_stalled_bulkhead_keeps_one_thread_free() -> None:
    now = [0.0]
    bulkhead = Bulkhead("magento", per_process=1, per_host=0, wait=10.0, max_waiting=2, stalled_after=2.0,
                        clock=lambda: now[0])
    release = threading.Event()
    holder = threading.Thread(target=lambda: _hold(bulkhead, release))
    holder.start()
    _until(lambda: bulkhead.stats()["inFlight"] == 1)
    assert bulkhead._queue_bound() == 2  # the holder just took the last slot: the whole queue
    results: list[str] = []
    waiters = [threading.Thread(target=_run, args=(bulkhead, 0.0, results)) for _ in range(2)]
    for waiter in waiters:
        waiter.start()
    _until(lambda: bulkhead.stats()["waiting"] == 2)
    now[0] = 2.5  # nothing completed for 2.5 s while full: the upstream hangs
    assert bulkhead._queue_bound() == 1
    _until(lambda: results == ["refused"])  # the waiter over the bound gave its thread back
    with pytest.raises(BulkheadFull):  # and a newcomer is refused at the door
        with bulkhead.slot():
            pass
    release.set()  # the upstream answers: a completed call is progress
    holder.join(5)
    for waiter in waiters:
        waiter.join(5)
    assert sorted(results) == ["ok", "refused"]
    assert bulkhead._queue_bound() == 2


def test_a_fresh_bulkhead_judges_a_stall_by_the_longest_limit_then_by_the_first_call_times() -> None:
    # A fresh worker's first burst at a slow shop (serialised answers 0.5 s apart) is not a hang: with no
    # completed call there is no call time to judge by (the EWMA used to start at 0: a 0.25 s limit).
    now = [0.0]
    bulkhead = Bulkhead("magento", per_process=1, per_host=0, wait=10.0, max_waiting=2, stalled_after=2.0,
                        clock=lambda: now[0])
    release = threading.Event()
    holder = threading.Thread(target=lambda: _hold(bulkhead, release))
    holder.start()
    _until(lambda: bulkhead.stats()["inFlight"] == 1)
    now[0] = 1.5  # full, no completion for 1.5 s, nothing learnt yet
    assert bulkhead._queue_bound() == 2
    now[0] = 2.1  # past the longest limit: a hang after all
    assert bulkhead._queue_bound() == 1
    release.set()
    holder.join(5)
    # The first completed call (2.1 s in the slot) sets the call time itself, not a fifth of it.
    assert bulkhead._call_time == pytest.approx(2.1)
    for took in (0.1,) * 20:  # then the EWMA follows a shop that answers in 100 ms ...
        start = now[0]
        with bulkhead.slot():
            now[0] = start + took
    assert bulkhead._call_time < 0.15
    release.clear()
    holder = threading.Thread(target=lambda: _hold(bulkhead, release))
    holder.start()
    _until(lambda: bulkhead.stats()["inFlight"] == 1)
    now[0] += 0.6  # ... and a 0.6 s silence of that shop is a stall (4 x ~0.1 s, at least 0.25 s)
    assert bulkhead._queue_bound() == 1
    release.set()
    holder.join(5)


def _hold(bulkhead: Bulkhead, release: threading.Event) -> None:
    with bulkhead.slot():
        release.wait(10)


def _until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.005)
