"""MagentoClient over httpx.MockTransport: URLs, query passthrough, retries, errors, metrics, guard."""
from __future__ import annotations

import logging
import os
import time

import httpx
import pytest

from app.adapters.magento import MagentoClient, RetryPolicy
from app.errors import UpstreamHTTPError, UpstreamTimeout, UpstreamUnavailable

PRODUCTS = "/rest/default/V1/products"


def test_proxy_applies_prefix_rule_and_store_code(client: MagentoClient, fake) -> None:
    client.proxy("GET", "products/ABC")
    client.proxy("GET", "/V1/orders", store="all")
    client.proxy("GET", "rest/V1/store/storeConfigs")
    client.proxy("POST", "async/bulk/V1/products", json_body=[{"product": {"sku": "A"}}])
    paths = [r.url.path for r in fake.requests if "token" not in r.url.path]
    assert paths == ["/rest/default/V1/products/ABC", "/rest/all/V1/orders", "/rest/default/V1/store/storeConfigs",
                     "/rest/default/async/bulk/V1/products"]


@pytest.mark.parametrize("raw", [
    (b"searchCriteria[filter_groups][0][filters][0][field]=sku&searchCriteria[filter_groups][0][filters][0]"
     b"[value]=%2524-MB%25&searchCriteria[filter_groups][0][filters][0][condition_type]=like"),
    b"fieldName=name&searchCriteria[pageSize]=10&unknown[]=a+b&x=%2F%zz",
    b"searchCriteria%5BpageSize%5D=5&a=&b",
])
def test_proxy_forwards_the_query_string_byte_for_byte(client: MagentoClient, fake, raw: bytes) -> None:
    client.proxy("GET", "products", raw)
    sent = fake.requests[-1].url.raw_path
    assert sent == PRODUCTS.encode() + b"?" + raw


def test_proxy_accepts_a_str_query_and_escapes_only_what_a_request_line_cannot_carry(client, fake) -> None:
    client.proxy("GET", "products", "fieldName=name&q=a b&s=é")
    assert fake.requests[-1].url.raw_path == PRODUCTS.encode() + b"?fieldName=name&q=a%20b&s=%C3%A9"


def test_proxy_returns_status_body_and_selected_headers_never_the_token(client, fake) -> None:
    fake.script("GET", PRODUCTS + "/A", lambda r: httpx.Response(
        200, json={"sku": "A"}, headers={"Cache-Control": "no-cache", "Set-Cookie": "x=1", "X-Other": "1"}))
    result = client.proxy("GET", "products/A")
    assert (result.status, result.body) == (200, {"sku": "A"})
    assert set(result.headers) == {"Content-Type", "Cache-Control"}
    assert "tok-" not in repr(result)
    assert fake.requests[-1].headers["Authorization"].startswith("Bearer tok-1")


def test_sku_with_slash_is_sent_percent_encoded(client: MagentoClient, fake) -> None:
    client.get_product("AB/12")
    assert fake.requests[-1].url.raw_path == b"/rest/default/V1/products/AB%2F12"


def test_magento_error_keeps_status_template_and_parameters(client: MagentoClient, fake) -> None:
    body = {"message": '"%fieldName" is required. Enter and try again.', "parameters": {"fieldName": "searchCriteria"}}
    fake.script("GET", PRODUCTS, httpx.Response(400, json=body))
    with pytest.raises(UpstreamHTTPError) as info:
        client.request("GET", "products")
    err = info.value
    assert err.status == 400 and err.body == body
    assert err.message == '"searchCriteria" is required. Enter and try again.'
    assert err.details["template"] == body["message"] and err.details["parameters"] == body["parameters"]


def test_404_passes_through_as_upstream_http_error(client: MagentoClient, fake) -> None:
    body = {"message": "The product that was requested doesn't exist. Verify the product and try again."}
    fake.script("GET", PRODUCTS + "/NOPE", httpx.Response(404, json=body))
    with pytest.raises(UpstreamHTTPError) as info:
        client.proxy("GET", "products/NOPE")
    assert info.value.status == 404 and info.value.body == body
    assert len(fake.calls("GET", PRODUCTS + "/NOPE")) == 1  # a 404 is final


def test_source_items_validation_errors_are_kept_and_rendered(client: MagentoClient, fake) -> None:
    body = {"message": "Validation Failed", "errors": [
        {"message": '"%field" can not be empty.', "parameters": {"field": "sku"}},
        {"message": '"%field" should be numeric.', "parameters": {"field": "quantity"}}]}
    fake.script("POST", "/rest/default/V1/inventory/source-items", httpx.Response(400, json=body))
    with pytest.raises(UpstreamHTTPError) as info:
        client.post_source_items([{"sku": "", "source_code": "default", "quantity": 1, "status": 1}])
    assert [e["text"] for e in info.value.details["errors"]] == ['"sku" can not be empty.',
                                                                  '"quantity" should be numeric.']


def test_non_json_error_page_from_a_proxy_becomes_an_envelope_error(client: MagentoClient, fake) -> None:
    fake.script("POST", PRODUCTS, httpx.Response(502, text="<html>Bad Gateway</html>"))
    with pytest.raises(UpstreamHTTPError) as info:
        client.request("POST", "products", json_body={"product": {"sku": "A"}})
    assert info.value.status == 502 and info.value.body is None


def test_429_with_retry_after_is_honoured_then_succeeds(client: MagentoClient, fake, fake_time, metrics) -> None:
    fake.script("GET", PRODUCTS,
                httpx.Response(429, headers={"Retry-After": "3"}, json={"message": "Too Many Requests"}))
    assert client.request("GET", "products")["path"] == PRODUCTS
    assert fake_time.sleeps == [3.0]
    assert metrics.retries == [("GET", "V1/products", "429")]


def test_real_retry_after_wait_is_measured(make_client, fake) -> None:
    client = make_client(real_time=True)
    fake.script("GET", PRODUCTS, httpx.Response(429, headers={"Retry-After": "1"}, json={"message": "slow down"}))
    started = time.monotonic()
    client.request("GET", "products")
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 2.0
    assert len(fake.calls("GET", PRODUCTS)) == 2


def test_retry_after_longer_than_the_budget_gives_up_at_once_with_retry_after(client, fake, fake_time) -> None:
    fake.script("GET", PRODUCTS, httpx.Response(503, headers={"Retry-After": "120"}, json={"message": "maintenance"}))
    with pytest.raises(UpstreamUnavailable) as info:
        client.request("GET", "products")
    assert info.value.retry_after == 120 and info.value.headers["Retry-After"] == "120"
    assert fake_time.sleeps == [] and len(fake.calls("GET", PRODUCTS)) == 1


def test_503_storm_then_success_backs_off_exponentially(client, fake, fake_time, metrics) -> None:
    fake.script("GET", PRODUCTS, *[httpx.Response(503, json={"message": "down"}) for _ in range(3)])
    assert client.request("GET", "products")["path"] == PRODUCTS
    assert fake_time.sleeps == [0.5, 1.0, 2.0]  # rand fixed at 1.0: the full-jitter ceilings
    assert [r[2] for r in metrics.retries] == ["503", "503", "503"]
    assert [r[2] for r in metrics.requests if r[1] == "V1/products"] == ["503", "503", "503", "200"]


def test_retries_exhausted_raise_upstream_unavailable_with_last_status(client, fake) -> None:
    fake.script("GET", PRODUCTS, *[httpx.Response(500, json={"message": "Internal Error."}) for _ in range(4)])
    with pytest.raises(UpstreamUnavailable) as info:
        client.request("GET", "products")
    assert info.value.details["status"] == 500 and info.value.details["attempts"] == 4
    assert len(fake.calls("GET", PRODUCTS)) == 4


def test_504_storm_ends_as_upstream_timeout(client, fake) -> None:
    fake.script("GET", PRODUCTS, *[httpx.Response(504, text="gateway timeout") for _ in range(4)])
    with pytest.raises(UpstreamTimeout):
        client.request("GET", "products")


def test_connection_errors_are_retried(client, fake, fake_time) -> None:
    fake.script("GET", PRODUCTS, httpx.ConnectError("refused"), httpx.RemoteProtocolError("dropped"))
    assert client.request("GET", "products")["path"] == PRODUCTS
    assert len(fake_time.sleeps) == 2


def test_connect_failure_after_retries_is_upstream_unavailable(client, fake) -> None:
    fake.script("GET", PRODUCTS, *[httpx.ConnectError("refused") for _ in range(4)])
    with pytest.raises(UpstreamUnavailable, match="could not be reached after 4 attempts"):
        client.request("GET", "products")


def test_read_timeouts_end_as_upstream_timeout(client, fake) -> None:
    fake.script("GET", PRODUCTS, *[httpx.ReadTimeout("slow") for _ in range(4)])
    with pytest.raises(UpstreamTimeout):
        client.request("GET", "products")


def test_non_idempotent_post_is_not_retried_on_503(client, fake, fake_time) -> None:
    fake.script("POST", PRODUCTS, httpx.Response(503, json={"message": "down"}))
    with pytest.raises(UpstreamHTTPError) as info:
        client.request("POST", "products", json_body={"product": {"sku": "A"}})
    assert info.value.status == 503
    assert len(fake.calls("POST", PRODUCTS)) == 1 and fake_time.sleeps == []


def test_non_idempotent_post_is_not_replayed_after_a_dropped_connection(client, fake) -> None:
    path = "/rest/default/V1/products/A/media"
    fake.script("POST", path, httpx.RemoteProtocolError("server disconnected"))
    with pytest.raises(UpstreamUnavailable):
        client.upload_media("A", {"media_type": "image", "label": "", "position": 0, "disabled": False, "types": []})
    assert len(fake.calls("POST", path)) == 1


def test_post_is_replayed_when_the_connection_was_never_made(client, fake) -> None:
    fake.script("POST", PRODUCTS, httpx.ConnectError("refused"))
    client.request("POST", "products", json_body={"product": {"sku": "A"}})
    assert len(fake.calls("POST", PRODUCTS)) == 2


def test_upsert_writes_are_retried_on_5xx(client, fake) -> None:
    path = "/rest/default/V1/products/base-prices"
    fake.script("POST", path, httpx.Response(502, text="bad gateway"), lambda r: httpx.Response(200, json=[]))
    assert client.base_prices([{"sku": "A", "price": 9.5, "store_id": 0}]) == []
    assert len(fake.calls("POST", path)) == 2


def test_call_budget_stops_retries_before_the_worker_timeout(make_client, fake, fake_time) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=10, max_time=3.0, max_wait=20.0, backoff_base=1.0))
    fake.script("GET", PRODUCTS, *[httpx.Response(503, json={"message": "down"}) for _ in range(10)])
    with pytest.raises(UpstreamUnavailable):
        client.request("GET", "products")
    assert sum(fake_time.sleeps) < 3.0


def test_each_attempt_gets_explicit_timeouts_cut_to_the_remaining_budget(make_client, fake) -> None:
    client = make_client(timeout_connect=2.0, timeout_read=7.0, timeout_write=5.0, timeout_pool=1.0,
                         retry=RetryPolicy(max_time=6.0))
    client.request("GET", "products")
    timeout = fake.requests[-1].extensions["timeout"]
    assert timeout == {"connect": 2.0, "read": 6.0, "write": 5.0, "pool": 1.0}


def test_metrics_label_endpoint_templates_never_skus(client, fake, metrics) -> None:
    fake.script("GET", PRODUCTS + "/SECRET-SKU-1", httpx.Response(404, json={"message": "nope"}))
    with pytest.raises(UpstreamHTTPError):
        client.get_product("SECRET-SKU-1")
    assert ("GET", "V1/products/{sku}", "404") in metrics.requests
    assert all("SECRET" not in str(m) for m in metrics.requests + metrics.retries)


def test_guard_wraps_each_logical_call_once(client, fake) -> None:
    seen = []

    def guard(call, info):
        seen.append((info.method, info.endpoint))
        return call()

    client.set_guard(guard)
    fake.script("GET", PRODUCTS + "/A", httpx.Response(503, json={"message": "x"}))
    client.get_product("A")  # token fetch + one retry happen inside the same guarded call
    assert seen == [("GET", "V1/products/{sku}")]


def test_open_breaker_in_guard_fails_fast_without_http(client, fake) -> None:
    def open_breaker(call, info):
        raise UpstreamUnavailable("magento", "circuit open", retry_after=30)

    client.set_guard(open_breaker)
    with pytest.raises(UpstreamUnavailable, match="circuit open"):
        client.get_product("A")
    assert fake.requests == []


def test_http_client_is_pooled_and_recreated_after_fork(client, fake, monkeypatch) -> None:
    client.request("GET", "products")
    first = client._client()
    client.request("GET", "products")
    assert client._client() is first
    real_pid = os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: real_pid + 1)
    assert client._client() is not first


def test_iterate_search_pages_until_total_count(client, fake) -> None:
    skus = [f"S{i}" for i in range(250)]

    def page(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params["searchCriteria[pageSize]"])
        current = int(request.url.params["searchCriteria[currentPage]"])
        items = [{"sku": s} for s in skus[(current - 1) * size: current * size]]
        return httpx.Response(200, json={"items": items, "total_count": len(skus), "search_criteria": {}})

    fake.script("GET", PRODUCTS, *[page] * 5)
    got = [item["sku"] for item in client.iterate_search("products", page_size=100,
                                                          criteria={"sortOrders": [{"field": "entity_id",
                                                                                    "direction": "ASC"}]})]
    assert got == skus
    queries = [r.url.raw_path for r in fake.calls("GET", PRODUCTS)]
    assert len(queries) == 3
    assert b"searchCriteria[sortOrders][0][field]=entity_id" in queries[0]


def test_iterate_search_stops_on_an_empty_page(client, fake) -> None:
    fake.script("GET", PRODUCTS, httpx.Response(200, json={"items": [{"sku": "A"}], "total_count": 999}),
                httpx.Response(200, json={"items": [], "total_count": 999}))
    assert [i["sku"] for i in client.iterate_search("products", page_size=1)] == ["A"]


def test_bulk_products_async_returns_uuid_and_items(client, fake) -> None:
    fake.script("POST", "/rest/default/async/bulk/V1/products", httpx.Response(202, json={
        "bulk_uuid": "u-1", "request_items": [{"id": 0, "data_hash": "h", "status": "accepted"}], "errors": False}))
    accepted = client.bulk_products_async([{"sku": "A", "price": 1.0}])
    assert accepted.bulk_uuid == "u-1" and accepted.request_items[0]["status"] == "accepted"
    assert fake.requests[-1].content == b'[{"product": {"sku": "A", "price": 1.0}}]'


def test_admin_token_never_appears_in_logs(client, fake, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    fake.script("GET", PRODUCTS, httpx.Response(503, json={"message": "x"}))
    client.request("GET", "products")
    fake.expire_tokens()
    client.request("GET", "products")
    assert "tok-" not in caplog.text and "s3cret" not in caplog.text


def test_a_pybreaker_circuit_breaker_plugs_into_the_guard(make_client, fake) -> None:
    import pybreaker

    breaker = pybreaker.CircuitBreaker(
        fail_max=2, reset_timeout=60,
        exclude=[lambda exc: isinstance(exc, UpstreamHTTPError) and exc.status < 500])

    def guard(call, info):
        try:
            return breaker.call(call)
        except pybreaker.CircuitBreakerError as exc:
            raise UpstreamUnavailable("magento", "Magento circuit open.", retry_after=60) from exc

    client = make_client(retry=RetryPolicy(max_attempts=1))
    client.set_guard(guard)
    fake.script("GET", PRODUCTS + "/GONE", httpx.Response(404, json={"message": "no such product"}))
    with pytest.raises(UpstreamHTTPError):
        client.get_product("GONE")  # a 404 is an answer, not an outage
    fake.script("GET", PRODUCTS, *[httpx.ConnectError("refused") for _ in range(2)])
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable):
            client.request("GET", "products")
    sent = len(fake.requests)
    with pytest.raises(UpstreamUnavailable, match="circuit open"):
        client.request("GET", "products")
    assert len(fake.requests) == sent and breaker.current_state == "open"


@pytest.mark.parametrize("content", [b"<html>maintenance</html>", b'{"items": [1, 2', b"\xff\xfe"])
def test_proxy_refuses_a_2xx_body_that_is_not_json(client: MagentoClient, fake, content: bytes) -> None:
    # The proxy answers Magento's bytes as they are: the (orjson) validation is all that stands in between.
    fake.script("GET", PRODUCTS, httpx.Response(200, content=content))
    with pytest.raises(UpstreamHTTPError) as info:
        client.proxy("GET", "products")
    assert info.value.status == 502 and "not JSON" in info.value.message


def test_proxy_keeps_what_only_the_standard_decoder_accepts(client: MagentoClient, fake) -> None:
    fake.script("GET", PRODUCTS, httpx.Response(200, content=b'{"price": NaN}'))
    response = client.proxy("GET", "products")
    assert response.raw == b'{"price": NaN}' and response.body["price"] != response.body["price"]
