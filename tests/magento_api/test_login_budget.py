"""The login failure budget: username normalisation, the host-wide SQLite store, the Redis store, and the two
together while Redis fails (the count and the window survive the outage)."""
from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
import uuid

import pytest
import redis

from app.services.magento.login_budget import (
    REDIS_PREFIX,
    HostBudget,
    LoginBudget,
    RedisBudget,
    account_key,
    budget_id,
    normalise_username,
)
from tests.support.servers import ROOT, RedisServer, free_port

LIMIT, WINDOW = 3, 1800


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# -- normalisation ------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["admin", "Admin", "  ADMIN\t", "\u3000admin\n", "ＡＤＭＩＮ", "AdMiN "])
def test_case_width_and_whitespace_variants_normalise_to_one_identity(raw):
    assert normalise_username(raw) == "admin"


@pytest.mark.parametrize("raw", ["admin", "Ädmin", "ADMİN", "ad\u200bmin", "a dmin", "ａｄｍíｎ", "\u0061\u0301dmin"])
def test_spellings_magento_may_take_for_one_account_share_one_budget(raw):
    # utf8_general_ci ignores case and accents: every spelling here signs in as (and locks) `admin`.
    assert account_key(raw) == "admin"
    assert budget_id(raw) == budget_id("admin")


def test_other_names_keep_their_own_budget_and_non_latin_names_are_not_collapsed():
    assert budget_id("alice") != budget_id("admin")
    assert account_key("محمد") == "محمد" and account_key("محمد") != account_key("يوسف")
    assert normalise_username("Straße") == "strasse"  # casefold, not lower()


# -- the host store ----------------------------------------------------------------------------------
def test_host_budget_counts_refuses_past_the_limit_and_keeps_its_window(tmp_path):
    clock = Clock()
    store = HostBudget(str(tmp_path / "b.sqlite3"), clock=clock)
    results = [store.reserve("k", LIMIT, WINDOW) for _ in range(5)]
    assert [r.allowed for r in results] == [True, True, True, False, False]
    assert [r.count for r in results] == [1, 2, 3, 4, 5]
    clock.now += 1000  # refused attempts never extend the window
    assert store.reserve("k", LIMIT, WINDOW).retry_after == WINDOW - 1000
    clock.now += WINDOW - 1000
    fresh = store.reserve("k", LIMIT, WINDOW)
    assert fresh.allowed and fresh.count == 1 and fresh.retry_after == WINDOW


def test_host_budget_clear_and_give_back(tmp_path):
    store = HostBudget(str(tmp_path / "b.sqlite3"))
    for _ in range(3):
        store.reserve("k", LIMIT, WINDOW)
    store.give_back("k")
    assert store.reserve("k", LIMIT, WINDOW).count == 3
    store.clear("k")
    assert store.reserve("k", LIMIT, WINDOW).count == 1
    store.give_back("unknown")  # nothing to give back: no row appears
    assert store.reserve("unknown", LIMIT, WINDOW).count == 1


def _reserve_many(path: str, n: int, out) -> None:
    store = HostBudget(path)
    allowed = []
    barrier = threading.Barrier(n)

    def one() -> None:
        barrier.wait()
        allowed.append(store.reserve("burst", LIMIT, WINDOW).allowed)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(sum(allowed))


def test_host_budget_is_one_count_for_every_process_of_the_host(tmp_path):
    """Two processes (like two Gunicorn workers) x 15 threads at once: exactly LIMIT slots in total."""
    path = str(tmp_path / "b.sqlite3")
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_reserve_many, args=(path, 15, out)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert sum(out.get(timeout=5) for _ in procs) == LIMIT


# -- Redis -------------------------------------------------------------------------------------------
@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url, socket_timeout=1)
    yield client
    for key in client.scan_iter(REDIS_PREFIX + "test-*"):
        client.delete(key)


def test_redis_budget_sets_the_expiry_with_the_first_increment_and_never_leaves_a_key_without_one(redis_client):
    key = f"test-{uuid.uuid4().hex}"
    store = RedisBudget(redis_client)
    first = store.reserve(key, LIMIT, WINDOW)
    assert first.allowed and first.count == 1 and first.retry_after == WINDOW
    assert 0 < redis_client.pttl(REDIS_PREFIX + key) <= WINDOW * 1000
    redis_client.persist(REDIS_PREFIX + key)  # even a key that lost its TTL somehow gets one back
    store.reserve(key, LIMIT, WINDOW)
    assert redis_client.pttl(REDIS_PREFIX + key) > 0
    assert [store.reserve(key, LIMIT, WINDOW).allowed for _ in range(2)] == [True, False]
    missing = f"test-{uuid.uuid4().hex}"
    store.give_back(missing)  # a DECR would create the key without TTL; the script does not
    assert not redis_client.exists(REDIS_PREFIX + missing)


def test_redis_budget_burst_from_many_threads_gets_exactly_the_limit(redis_client):
    key = f"test-{uuid.uuid4().hex}"
    store = RedisBudget(redis_client)
    barrier, allowed = threading.Barrier(20), []

    def one() -> None:
        barrier.wait()
        allowed.append(store.reserve(key, LIMIT, WINDOW).allowed)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(allowed) == LIMIT


def test_both_stores_together_never_let_more_than_the_limit_through_a_burst(redis_client, tmp_path):
    key = f"test-{uuid.uuid4().hex}"
    budget = LoginBudget(HostBudget(str(tmp_path / "b.sqlite3")), RedisBudget(redis_client))
    barrier, allowed = threading.Barrier(20), []

    def one() -> None:
        barrier.wait()
        allowed.append(budget.reserve(key, LIMIT, WINDOW).allowed)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(allowed) <= LIMIT
    assert budget.reserve(key, LIMIT, WINDOW).count == 21  # every attempt was counted in both


def test_redis_down_mid_window_keeps_the_count_and_the_full_window(tmp_path):
    """Two failures with Redis up, then Redis dies: the third is allowed, the fourth refused, and the
    refusal's Retry-After is the configured window's remainder (not a 60 s fallback TTL)."""
    clock = Clock()
    with RedisServer() as server:
        client = redis.Redis(port=server.port, socket_timeout=0.2, socket_connect_timeout=0.2)
        budget = LoginBudget(HostBudget(str(tmp_path / "b.sqlite3"), clock=clock), RedisBudget(client),
                             probe_interval=5.0)
        assert [budget.reserve("k", LIMIT, WINDOW).allowed for _ in range(2)] == [True, True]
        assert budget.backend == "redis+local"
        server.kill()
        clock.now += 600
        third = budget.reserve("k", LIMIT, WINDOW)
        assert budget.backend == "local"
        fourth = budget.reserve("k", LIMIT, WINDOW)
    assert third.allowed and third.count == 3
    assert not fourth.allowed and fourth.retry_after == WINDOW - 600


def test_redis_restarted_empty_does_not_hand_out_a_fresh_budget(redis_client, tmp_path):
    key = f"test-{uuid.uuid4().hex}"
    budget = LoginBudget(HostBudget(str(tmp_path / "b.sqlite3")), RedisBudget(redis_client))
    assert [budget.reserve(key, LIMIT, WINDOW).allowed for _ in range(3)] == [True, True, True]
    redis_client.delete(REDIS_PREFIX + key)  # as after a Redis restart without persistence
    refused = budget.reserve(key, LIMIT, WINDOW)
    assert not refused.allowed and refused.count == 4


def test_two_hosts_share_the_count_through_redis(redis_client, tmp_path):
    key = f"test-{uuid.uuid4().hex}"
    host_a = LoginBudget(HostBudget(str(tmp_path / "a.sqlite3")), RedisBudget(redis_client))
    host_b = LoginBudget(HostBudget(str(tmp_path / "b.sqlite3")), RedisBudget(redis_client))
    assert [b.reserve(key, LIMIT, WINDOW).allowed for b in (host_a, host_b, host_a, host_b)] == [
        True, True, True, False]
    host_b.clear(key)  # a successful login on host B clears Redis (and B's own count)
    assert host_b.reserve(key, LIMIT, WINDOW).count == 1


def test_without_a_reachable_redis_the_host_store_alone_decides(tmp_path):
    dead = redis.Redis(port=free_port(), socket_timeout=0.2, socket_connect_timeout=0.2)
    budget = LoginBudget(HostBudget(str(tmp_path / "b.sqlite3")), RedisBudget(dead))
    assert [budget.reserve("k", LIMIT, WINDOW).allowed for _ in range(4)] == [True, True, True, False]


def test_manage_login_unblock_forgets_every_spelling_of_a_username(tmp_path):
    store = HostBudget(str(tmp_path / "run" / "breakers.sqlite3"))
    for _ in range(4):
        store.reserve(budget_id("alice"), LIMIT, WINDOW)
    env = {**os.environ, "APP_ENV": "testing", "RUN_DIR": str(tmp_path / "run"), "REDIS_URL": "",
           "APP_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
           "MDM_DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}"}
    done = subprocess.run([sys.executable, "manage.py", "login", "unblock", " ALICE "], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "forgotten" in done.stdout
    assert store.reserve(budget_id("alice"), LIMIT, WINDOW).count == 1
