"""MagentoClient against the Magento sandbox over real HTTP on loopback (token expiry, lockout, faults)."""
from __future__ import annotations

import base64
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest

from app.adapters.magento import MagentoClient, MagentoConfig, MemoryTokenStore, RetryPolicy
from app.errors import UpstreamHTTPError, UpstreamTimeout, UpstreamUnavailable

from .test_magento_oracle import OracleValidatingTransport

sandbox_pkg = pytest.importorskip("magento_sandbox", reason="magento_sandbox is not importable")
if not hasattr(sandbox_pkg, "start_sandbox_thread"):
    pytest.skip("magento_sandbox does not expose start_sandbox_thread() yet", allow_module_level=True)

# deliberately late: only importable once the importorskip/skip guard above has passed
from magento_sandbox.faults import FaultConfig  # noqa: E402
from magento_sandbox.options import SandboxOptions  # noqa: E402

TOKEN_TTL_S = 0.5  # short, so a test can let the shop's token expire mid-session


@dataclass
class LiveSandbox:
    url: str
    shop: Any  # magento_sandbox.sandbox.Sandbox, driven in-process for faults and stats
    options: SandboxOptions

    def faults(self, **config: Any) -> None:
        self.shop.faults.set(FaultConfig(**config))

    def calls(self, key_part: str) -> int:
        return sum(n for key, n in self.shop.stats()["routes"].items() if key_part in key)


@pytest.fixture(scope="module")
def live_sandbox() -> Iterator[LiveSandbox]:
    options = SandboxOptions(token_ttl_s=TOKEN_TTL_S, consumer_delay_s=None, products=50)
    server = sandbox_pkg.start_sandbox_thread(options=options)  # loopback, free port, threaded
    try:
        yield LiveSandbox(server.url, server.app.extensions["magento_sandbox"], options)
    finally:
        server.stop()


@pytest.fixture
def sandbox(live_sandbox: LiveSandbox) -> LiveSandbox:
    live_sandbox.shop.faults.clear()
    live_sandbox.shop.tokens.clear()
    live_sandbox.shop.reset_stats()
    return live_sandbox


@pytest.fixture
def make_live_client(sandbox: LiveSandbox, metrics):
    made: list[MagentoClient] = []

    def build(token_store: Any = None, validate: bool = True, **overrides: Any) -> MagentoClient:
        config = MagentoConfig(base_url=sandbox.url, username=sandbox.options.admin_username,
                               password=sandbox.options.admin_password, timeout_read=5.0,
                               retry=RetryPolicy(max_attempts=4, max_time=15.0, backoff_base=0.05, backoff_max=0.2))
        config = replace(config, **overrides)
        transport: httpx.BaseTransport = httpx.HTTPTransport()
        if validate:
            transport = OracleValidatingTransport(transport)
        client = MagentoClient(config, transport=transport, token_store=token_store or MemoryTokenStore(),
                               metrics=metrics)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


def _some_sku(client: MagentoClient) -> str:
    return client.search("products", {"pageSize": 1, "currentPage": 1})["items"][0]["sku"]


def test_token_expiry_mid_session_refreshes_once_and_succeeds(make_live_client, sandbox, metrics) -> None:
    client = make_live_client()
    sku = _some_sku(client)
    time.sleep(TOKEN_TTL_S + 0.1)  # the shop forgets the token; our shared store still holds it
    assert client.get_product(sku)["sku"] == sku
    assert metrics.refreshes == ["ok", "ok"]
    assert sandbox.calls("integration/admin/token") == 2


def test_wrong_credentials_never_multiply_into_a_lockout(make_live_client, sandbox) -> None:
    shared = MemoryTokenStore()
    workers = [make_live_client(token_store=shared, password="wrong") for _ in range(3)]
    for _ in range(4):
        for worker in workers:
            with pytest.raises(UpstreamUnavailable):
                worker.request("GET", "products", params={"searchCriteria": {"pageSize": 1}})
    assert sandbox.calls("integration/admin/token") == 1
    good = make_live_client()
    assert good.admin_token(sandbox.options.admin_username, sandbox.options.admin_password)  # not locked


def test_429_retry_after_is_honoured(make_live_client, sandbox) -> None:
    client = make_live_client()
    sku = _some_sku(client)
    sandbox.faults(status=429, retry_after=1, count=1, paths="/V1/products/")
    started = time.monotonic()
    assert client.get_product(sku)["sku"] == sku
    assert 1.0 <= time.monotonic() - started < 3.0


def test_503_storm_then_recovery(make_live_client, sandbox, metrics) -> None:
    client = make_live_client()
    sku = _some_sku(client)
    sandbox.faults(status=503, count=3, paths="/V1/products/")
    assert client.get_product(sku)["sku"] == sku
    assert [r[2] for r in metrics.retries] == ["503", "503", "503"]


def test_dropped_connection_is_retried_for_reads(make_live_client, sandbox) -> None:
    client = make_live_client()
    sku = _some_sku(client)
    sandbox.faults(drop_connection=True, count=1, paths="/V1/products/")
    assert client.get_product(sku)["sku"] == sku


def test_dropped_connection_is_not_replayed_for_a_media_upload(make_live_client, sandbox) -> None:
    client = make_live_client()
    sku = _some_sku(client)
    sandbox.faults(drop_connection=True, count=1, paths="/media")
    with pytest.raises(UpstreamUnavailable):
        client.upload_media(sku, _media_entry())
    assert sandbox.calls("/media") == 1


def test_hanging_shop_times_out_within_the_budget(make_live_client, sandbox) -> None:
    client = make_live_client(timeout_read=0.3,
                              retry=RetryPolicy(max_attempts=2, max_time=2.0, backoff_base=0.05, backoff_max=0.1))
    client.search("products", {"pageSize": 1})  # token first, so only the read hangs
    sandbox.faults(hang=True, hang_s=10, paths="/V1/products")
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        client.search("products", {"pageSize": 1})
    assert time.monotonic() - started < 2.0
    sandbox.shop.faults.clear()


def test_typed_helpers_round_trip_with_oracle_valid_requests(make_live_client, sandbox) -> None:
    client = make_live_client()
    sku = _some_sku(client)
    failures = client.base_prices([{"sku": sku, "price": 19.5, "store_id": 0},
                                   {"sku": "NO-SUCH-SKU", "price": 1.0, "store_id": 0}])
    assert len(failures) == 1 and "NO-SUCH-SKU" in failures[0]["parameters"]
    assert client.get_product(sku)["price"] == 19.5
    client.post_source_items([{"sku": sku, "source_code": "default", "quantity": 7, "status": 1}])
    assert client.save_product({"sku": sku, "name": "Renamed"})["name"] == "Renamed"
    assert client.upload_media(sku, _media_entry()).isdigit()


def test_async_bulk_is_accepted_and_its_status_readable(make_live_client, sandbox) -> None:
    client = make_live_client()
    sku = _some_sku(client)
    accepted = client.bulk_products_async([{"sku": sku, "price": 21.0}])
    assert accepted.bulk_uuid and [i["status"] for i in accepted.request_items] == ["accepted"]
    assert client.bulk_status(accepted.bulk_uuid)["operation_count"] == 1


def test_magento_errors_keep_status_and_parameters(make_live_client, sandbox) -> None:
    client = make_live_client()
    with pytest.raises(UpstreamHTTPError) as info:
        client.get_product("NO-SUCH-SKU")
    assert info.value.status == 404 and info.value.body["message"]
    with pytest.raises(UpstreamHTTPError) as info:
        client.request("GET", "products")  # no searchCriteria at all
    assert info.value.status == 400 and info.value.details["parameters"] == {"fieldName": "searchCriteria"}
    assert info.value.message == '"searchCriteria" is required. Enter and try again.'


def test_proxy_query_string_reaches_the_shop_unchanged(make_live_client, sandbox) -> None:
    client = make_live_client(validate=False)
    sku = _some_sku(client)
    raw = (f"searchCriteria[filter_groups][0][filters][0][field]=sku&searchCriteria[filter_groups][0][filters][0]"
           f"[value]={sku}&searchCriteria[pageSize]=5&fieldName=name").encode()
    result = client.proxy("GET", "products", raw)
    assert result.status == 200 and [i["sku"] for i in result.body["items"]] == [sku]


def _media_entry() -> dict[str, Any]:
    return {"media_type": "image", "label": "Front", "position": 1, "disabled": False,
            "types": ["image", "small_image", "thumbnail"],
            "content": {"base64_encoded_data": base64.b64encode(_png()).decode(), "type": "image/png",
                        "name": "front.png"}}


def _png() -> bytes:
    """A valid 1x1 PNG built by hand (no Pillow needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))
