"""The shared admin token: single flight, one refresh on 401, and no path that can trip Magento's lockout."""
from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from app.adapters.magento import CacheTokenStore, MagentoClient, MemoryTokenStore
from app.adapters.magento.token import AUTH_FAILED_KEY, TOKEN_KEY
from app.errors import UpstreamHTTPError, UpstreamUnavailable

PRODUCTS = "/rest/default/V1/products"


def test_concurrent_first_calls_fetch_the_token_once(make_client, fake) -> None:
    client = make_client(real_time=True)
    fake.token_delay = 0.1
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            client.request("GET", "products")
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == [] and fake.token_calls == 1


def test_expired_token_is_refreshed_once_and_the_call_succeeds(client: MagentoClient, fake, metrics) -> None:
    client.request("GET", "products")
    fake.expire_tokens()
    assert client.request("GET", "products")["path"] == PRODUCTS
    assert fake.token_calls == 2 and metrics.refreshes == ["ok", "ok"]
    statuses = [(r.headers["Authorization"][-20:]) for r in fake.calls("GET", PRODUCTS)]
    assert statuses[1] != statuses[2] and statuses[0] == statuses[1]


def test_a_persistent_401_refreshes_once_then_is_final(client: MagentoClient, fake) -> None:
    fake.script("GET", PRODUCTS, *[httpx.Response(401, json=fake.ACL_BODY) for _ in range(5)])
    with pytest.raises(UpstreamHTTPError) as info:
        client.request("GET", "products")
    assert info.value.status == 401
    assert info.value.message == "The consumer isn't authorized to access Magento_Catalog::products."
    assert fake.token_calls == 2 and len(fake.calls("GET", PRODUCTS)) == 2


def test_token_is_shared_between_workers_through_the_store(make_client, fake) -> None:
    shared = MemoryTokenStore()
    worker_a, worker_b = make_client(token_store=shared), make_client(token_store=shared)
    worker_a.request("GET", "products")
    worker_b.request("GET", "products")
    assert fake.token_calls == 1


def test_a_refresh_does_not_discard_a_token_another_worker_already_renewed(make_client, fake) -> None:
    shared = MemoryTokenStore()
    worker_a, worker_b = make_client(token_store=shared), make_client(token_store=shared)
    worker_a.request("GET", "products")
    stale = shared.get(TOKEN_KEY)
    fake.expire_tokens()
    worker_b.request("GET", "products")  # B sees the 401 first and renews
    assert worker_a.tokens.refresh(stale=stale) == shared.get(TOKEN_KEY) != stale
    assert fake.token_calls == 2


def test_wrong_credentials_never_multiply_into_a_lockout(make_client, fake) -> None:
    shared = MemoryTokenStore()
    workers = [make_client(token_store=shared, password="wrong") for _ in range(3)]
    for _ in range(5):
        for worker in workers:
            with pytest.raises(UpstreamUnavailable, match="refused the configured integration credentials"):
                worker.request("GET", "products")
    assert fake.token_calls == 1  # Magento locks the user after 6: we spend one
    assert shared.get(AUTH_FAILED_KEY)


def test_token_endpoint_401_during_a_refresh_is_not_retried(client: MagentoClient, fake, metrics) -> None:
    client.request("GET", "products")
    fake.expire_tokens()
    fake.script("POST", fake.TOKEN_PATH, httpx.Response(401, json={"message": "sign-in incorrect"}))
    with pytest.raises(UpstreamUnavailable) as info:
        client.request("GET", "products")
    assert info.value.retry_after == 300
    assert fake.token_calls == 2 and metrics.refreshes == ["ok", "refused"]


def test_refused_credentials_are_tried_again_after_the_cooldown(make_client, fake, fake_time) -> None:
    store = MemoryTokenStore(clock=fake_time.clock)
    client = make_client(token_store=store, token_refused_cooldown=60.0)
    fake.script("POST", fake.TOKEN_PATH, httpx.Response(401, json={"message": "locked"}))
    with pytest.raises(UpstreamUnavailable):
        client.request("GET", "products")
    fake_time.now += 61
    assert client.request("GET", "products")["path"] == PRODUCTS
    assert fake.token_calls == 2


def test_token_endpoint_transient_failure_is_retried(client: MagentoClient, fake) -> None:
    fake.script("POST", fake.TOKEN_PATH, httpx.Response(503, json={"message": "busy"}), httpx.ConnectError("x"))
    assert client.request("GET", "products")["path"] == PRODUCTS
    assert fake.token_calls == 3


def test_token_ttl_is_configurable_and_never_hard_coded(make_client, fake, fake_time) -> None:
    store = MemoryTokenStore(clock=fake_time.clock)
    client = make_client(token_store=store, token_ttl=10.0)
    client.request("GET", "products")
    fake_time.now += 11
    client.request("GET", "products")
    assert fake.token_calls == 2


def test_missing_credentials_fail_without_calling_magento(make_client, fake) -> None:
    client = make_client(username="", password="")
    with pytest.raises(UpstreamUnavailable, match="not configured"):
        client.request("GET", "products")
    assert fake.requests == []


def test_login_admin_token_checks_the_users_credentials_without_caching(client: MagentoClient, fake) -> None:
    store_before = client.tokens._store.get(TOKEN_KEY)
    assert client.admin_token(fake.USERNAME, fake.PASSWORD).startswith("tok-")
    assert client.admin_token(fake.USERNAME, fake.PASSWORD).startswith("tok-")
    assert fake.token_calls == 2 and client.tokens._store.get(TOKEN_KEY) == store_before
    with pytest.raises(UpstreamHTTPError) as info:
        client.admin_token(fake.USERNAME, "wrong")
    assert info.value.status == 401 and fake.token_calls == 3


def test_login_is_not_replayed_on_a_gateway_error(client: MagentoClient, fake) -> None:
    fake.script("POST", fake.TOKEN_PATH, httpx.Response(503, json={"message": "busy"}))
    with pytest.raises(UpstreamHTTPError):
        client.admin_token(fake.USERNAME, fake.PASSWORD)
    assert fake.token_calls == 1


class FakeCache:
    def __init__(self) -> None:
        self.data: dict[tuple[str, str], Any] = {}
        self.ttls: dict[tuple[str, str], Any] = {}

    def get(self, ns: str, key: str, default: Any = None) -> Any:
        return self.data.get((ns, key), default)

    def set(self, ns: str, key: str, value: Any, ttl: int | None = None) -> None:
        self.data[(ns, key)], self.ttls[(ns, key)] = value, ttl

    def delete(self, ns: str, key: str) -> None:
        self.data.pop((ns, key), None)


def test_cache_token_store_uses_namespace_magento_key_admin_token(make_client, fake) -> None:
    cache = FakeCache()
    client = make_client(token_store=CacheTokenStore(lambda: cache), token_ttl=3500.0)
    client.request("GET", "products")
    assert cache.data[("magento", "admin_token")].startswith("tok-1")
    assert cache.ttls[("magento", "admin_token")] == 3500
    fake.expire_tokens()
    client.request("GET", "products")
    assert cache.data[("magento", "admin_token")].startswith("tok-2")
