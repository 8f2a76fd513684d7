"""Identical uncached proxied GETs in flight in one worker make one Magento call and share its answer
(app/services/magento/single_flight.py); a read asked for after a write never joins one from before it."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask

from app.errors import UpstreamHTTPError, UpstreamTimeout
from app.services.magento import proxy
from app.services.magento.single_flight import SingleFlight

QUERY = b"searchCriteria[pageSize]=5&searchCriteria[currentPage]=1&searchCriteria[sortOrders][0][field]=created_at"


def _together(calls: int, func: Callable[[], object]) -> list[object]:
    """Run `func` in `calls` threads released at once; each result, or the exception it raised."""
    gate = threading.Barrier(calls)

    def one() -> object:
        gate.wait()
        try:
            return func()
        except Exception as exc:  # noqa: BLE001 - the test compares them
            return exc
    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(lambda _i: one(), range(calls)))


def test_callers_of_one_key_share_one_call_and_other_keys_run_their_own() -> None:
    flights: SingleFlight[int] = SingleFlight()
    runs: list[str] = []

    def slow(name: str) -> Callable[[], int]:
        def call() -> int:
            runs.append(name)
            time.sleep(0.3)
            return len(runs)
        return call
    answers = _together(6, lambda: flights.run("a", slow("a"), 5, RuntimeError))
    assert runs == ["a"] and sorted(answers) == [(1, False)] + [(1, True)] * 5  # type: ignore[type-var]
    assert flights.in_flight() == 0
    assert flights.run("a", slow("a"), 5, RuntimeError) == (2, False)  # done: the next caller calls again
    both = _together(4, lambda: flights.run(threading.current_thread().name, slow("x"), 5, RuntimeError))
    assert runs.count("x") == 4 and all(not shared for _value, shared in both)


def test_the_leaders_exception_is_every_followers_and_a_stuck_leader_times_them_out() -> None:
    flights: SingleFlight[int] = SingleFlight()
    failure = UpstreamTimeout("magento")

    def fail() -> int:
        time.sleep(0.2)
        raise failure
    assert _together(4, lambda: flights.run("k", fail, 5, RuntimeError)) == [failure] * 4
    release = threading.Event()
    leader = threading.Thread(target=flights.run, args=("slow", lambda: release.wait(5) and 1, 5, RuntimeError))
    leader.start()
    time.sleep(0.05)
    started = time.perf_counter()
    with pytest.raises(UpstreamTimeout):
        flights.run("slow", lambda: 2, 0.2, lambda: UpstreamTimeout("magento"))
    assert 0.2 <= time.perf_counter() - started < 2
    release.set()
    leader.join()


@pytest.fixture
def app(magento_app: Callable[..., Flask]) -> Flask:
    return magento_app()


def _forward(app: Flask, path: str = "orders", query: bytes = QUERY) -> proxy.ProxyResult:
    with app.test_request_context("/api/magento/" + path):
        return proxy.forward("GET", path, query)


def test_identical_misses_in_flight_make_one_magento_call(app, fault, sandbox_calls) -> None:
    with app.test_request_context("/"):
        proxy.invalidate("orders")
    fault(latency_ms=400, paths="orders")
    results = _together(6, lambda: _forward(app))
    assert sandbox_calls("GET /V1/orders") == 1
    assert sorted(r.cache for r in results) == ["miss"] + ["shared"] * 5
    assert len({r.raw for r in results}) == 1 and results[0].raw.startswith(b"{")
    assert all(r.fill is None for r in results if r.cache == "shared")  # the leader's request fills the cache


def test_a_read_asked_for_after_a_write_does_not_join_one_from_before_it(app, fault, sandbox_calls) -> None:
    with app.test_request_context("/"):
        proxy.invalidate("orders")
    fault(latency_ms=500, paths="orders")
    with ThreadPoolExecutor(2) as pool:
        before = pool.submit(_forward, app)
        time.sleep(0.2)  # the first read is at Magento
        with app.test_request_context("/"):
            proxy.invalidate("orders")  # what a write through the proxy does
        after = pool.submit(_forward, app)
        assert before.result().cache == "miss" and after.result().cache == "miss"
    assert sandbox_calls("GET /V1/orders") == 2


def test_magentos_error_answer_is_shared_too(app, fault, sandbox_calls) -> None:
    fault(latency_ms=300, paths="orders")
    results = _together(4, lambda: _forward(app, "orders/987654", b""))
    assert all(isinstance(r, UpstreamHTTPError) and r.status == 404 for r in results)
    assert sandbox_calls("GET /V1/orders/:id") == 1


def test_shared_answers_are_marked_in_the_x_cache_header(app, fault, auth) -> None:
    fault(latency_ms=300, paths="orders")
    client = app.test_client()
    url = "/api/magento/orders?" + QUERY.decode() + "&x=header"
    answers = _together(3, lambda: client.get(url, headers=auth("viewer")))
    assert sorted(a.headers["X-Cache"] for a in answers) == ["MISS", "SHARED", "SHARED"]
    assert len({a.data for a in answers}) == 1
