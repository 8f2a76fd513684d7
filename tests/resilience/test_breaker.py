"""Circuit breakers on the shared stores: transitions, what counts, one state for every process, one log line."""
from __future__ import annotations

import logging
import multiprocessing
import threading
import time

import httpx
import pytest

from app.adapters.magento import MagentoClient, MagentoConfig, RetryPolicy
from app.errors import UpstreamHTTPError, UpstreamTimeout, UpstreamUnavailable
from app.services.metrics_summary import samples, total
from app.services.resilience.breaker import CircuitOpen
from app.services.resilience.state import CLOSED, HALF_OPEN, OPEN
from app.services.resilience.store import FallbackStore, LocalStore, RedisStore
from app.services.resilience.upstreams import Resilience
from tests.resilience.helpers import Clock, child_hammer_failures, child_open_breaker, fail_once, make_breaker

SPAWN = multiprocessing.get_context("spawn")  # no fork of a threaded pytest process


@pytest.fixture
def store_path(tmp_path) -> str:
    return str(tmp_path / "breakers.sqlite3")


def test_closed_open_half_open_closed(store_path) -> None:
    clock = Clock()
    breaker = make_breaker(store_path, threshold=3, reset=10.0, clock=clock)
    for _ in range(3):
        fail_once(breaker)
    assert breaker.state() == OPEN
    with pytest.raises(CircuitOpen) as refused:
        with breaker.guard():
            pytest.fail("an open breaker must not run the call")
    assert refused.value.status == 503 and refused.value.code == "upstream_unavailable"
    assert refused.value.headers["Retry-After"] == "10"
    clock.now += 10
    assert breaker.state() == HALF_OPEN
    with breaker.guard() as probe:
        assert probe.probe
        with pytest.raises(CircuitOpen):  # one probe at a time
            with breaker.guard():
                pass
    assert breaker.state() == CLOSED and breaker.snapshot().opened_count == 1


def test_a_failed_probe_reopens_for_another_reset_timeout(store_path) -> None:
    clock = Clock()
    breaker = make_breaker(store_path, threshold=1, reset=10.0, clock=clock)
    fail_once(breaker)
    clock.now += 10
    fail_once(breaker)  # the probe
    snap = breaker.snapshot()
    assert snap.state == OPEN and snap.opened_count == 2 and snap.retry_after == 10.0


def _client(handler) -> MagentoClient:
    config = MagentoConfig(base_url="http://shop.test", username="u", password="p",
                           retry=RetryPolicy(max_attempts=1, max_time=2.0))
    return MagentoClient(config, transport=httpx.MockTransport(handler))


def test_magento_4xx_do_not_count_but_5xx_and_timeouts_do(store_path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("integration/admin/token"):
            return httpx.Response(200, json="tok")
        if "GONE" in request.url.path:
            return httpx.Response(404, json={"message": "no such product"})
        if "BAD" in request.url.path:
            return httpx.Response(400, json={"message": "bad request"})
        raise httpx.ReadTimeout("hung", request=request)

    res = Resilience(breakers={"magento": make_breaker(store_path, threshold=2)})
    client = _client(handler)
    client.set_guard(res.magento_guard)
    for _ in range(5):
        with pytest.raises(UpstreamHTTPError):
            client.get_product("GONE")
        with pytest.raises(UpstreamHTTPError):
            client.get_product("BAD")
    assert res.breakers["magento"].state() == CLOSED
    for _ in range(2):
        with pytest.raises(UpstreamTimeout):
            client.request("GET", "products")
    with pytest.raises(CircuitOpen):
        client.get_product("GONE")
    assert res.breakers["magento"].snapshot().failures == 2


def test_breaker_state_seen_by_a_second_process_after_the_first_opened_it(store_path) -> None:
    mine = make_breaker(store_path, "shared_upstream", threshold=3)
    assert mine.state() == CLOSED
    child = SPAWN.Process(target=child_open_breaker, args=(store_path, "shared_upstream", 3))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert mine.state() == OPEN
    with pytest.raises(CircuitOpen):
        with mine.guard():
            pass


def test_each_transition_is_logged_once_across_threads(store_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="app.services.resilience.breaker")
    clock = Clock()
    workers = [make_breaker(store_path, "once", threshold=3, clock=clock) for _ in range(6)]  # own connections
    threads = [threading.Thread(target=lambda b=b: [fail_once(b) for _ in range(10)]) for b in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    clock.now += 10
    with workers[0].guard():
        pass
    lines = [r.getMessage() for r in caplog.records if "circuit breaker once" in r.getMessage()]
    assert lines == ["circuit breaker once: closed -> open", "circuit breaker once: open -> half-open",
                     "circuit breaker once: half-open -> closed"]


def test_each_transition_is_counted_once_across_processes(store_path) -> None:
    name = f"race{int(time.time() * 1000) % 100000}"
    before = total(samples(), "techno_etl_breaker_transitions_total", upstream=name, to="open")
    start_at = time.time() + 2.0  # spawned children need ~1 s to import the app
    children = [SPAWN.Process(target=child_hammer_failures, args=(store_path, name, 3, start_at, 20))
                for _ in range(3)]
    for child in children:
        child.start()
    for child in children:
        child.join(30)
        assert child.exitcode == 0
    after = total(samples(), "techno_etl_breaker_transitions_total", upstream=name, to="open")
    assert after - before == 1
    assert make_breaker(store_path, name).state() == OPEN


def test_redis_store_shares_state_and_falls_back_when_redis_dies(tmp_path) -> None:
    import redis

    from tests.support.servers import RedisServer

    try:
        server = RedisServer().start()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    try:
        client = redis.Redis.from_url(server.url, socket_timeout=0.2, socket_connect_timeout=0.2)
        local = LocalStore(str(tmp_path / "b.sqlite3"))
        first = make_breaker("", "redis_up", threshold=2, store=FallbackStore(RedisStore(client), local, 5.0))
        second = make_breaker("", "redis_up", threshold=2, store=RedisStore(client))
        fail_once(first)
        fail_once(first)
        assert second.state() == OPEN and first.snapshot().backend == "redis"
        server.kill()
        started = time.perf_counter()
        assert first.state() == CLOSED  # host-local store: nothing open there
        assert first.snapshot().backend == "local"
        for _ in range(20):  # no Redis timeout per call: the fallback window holds
            first.state()
        assert time.perf_counter() - started < 1.0
    finally:
        server.kill()


def test_a_broken_store_fails_open(tmp_path) -> None:
    class Broken:
        backend = "broken"

        def read(self, name):
            raise OSError("disk gone")

        def update(self, name, mutate):
            raise OSError("disk gone")

    breaker = make_breaker("", "broken", store=Broken())
    with breaker.guard():
        pass
    fail_once(breaker)
    with pytest.raises(UpstreamUnavailable):  # the call's own error, not a breaker refusal
        with breaker.guard():
            raise UpstreamUnavailable("broken")
