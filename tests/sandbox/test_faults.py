"""Fault injection switched at run time through /__sandbox/faults: status, Retry-After, latency, hang,
dropped connections, scoping by path, count, rate, plus call stats."""
from __future__ import annotations

import time

import httpx
import pytest

PAGE = {"searchCriteria[pageSize]": "1"}


def test_429_carries_retry_after(api: httpx.Client, control: httpx.Client) -> None:
    control.post("faults", json={"status": 429, "retry_after": 7, "count": 1})
    resp = api.get("products", params=PAGE)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"
    assert api.get("products", params=PAGE).status_code == 200  # count=1: only the next request


def test_429_without_explicit_retry_after_still_sends_one(api: httpx.Client, control: httpx.Client) -> None:
    control.post("faults", json={"status": 429, "count": 1})
    assert api.get("products", params=PAGE).headers["Retry-After"] == "1"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_error_statuses(api: httpx.Client, control: httpx.Client, status: int) -> None:
    control.post("faults", json={"status": status, "count": 1})
    resp = api.get("products", params=PAGE)
    assert resp.status_code == status
    if status == 500:  # Magento's own 500 body
        assert resp.json()["message"].startswith("Internal Error. Details are available in Magento log file.")
    else:  # a proxy page, not JSON
        assert resp.headers["Content-Type"].startswith("text/html")


def test_latency_is_observed(api: httpx.Client, control: httpx.Client) -> None:
    control.post("faults", json={"latency_ms": 300, "count": 1})
    started = time.monotonic()
    assert api.get("products", params=PAGE).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_hang_trips_the_client_timeout_without_blocking_other_calls(api: httpx.Client, control: httpx.Client,
                                                                   sandbox_url: str) -> None:
    control.post("faults", json={"hang": True, "paths": "/V1/products$"})
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        api.get("products", params=PAGE, timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert api.get("orders", params=PAGE).status_code == 200  # threaded server: other routes still answer
    control.delete("faults")  # wakes the hanging handler thread


def test_dropped_connection_is_a_transport_error(api: httpx.Client, control: httpx.Client) -> None:
    control.post("faults", json={"drop_connection": True, "count": 1})
    with pytest.raises(httpx.TransportError) as info:
        api.get("products", params=PAGE)
    assert isinstance(info.value, (httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError))
    assert api.get("products", params=PAGE).status_code == 200


def test_reset_connection_is_a_transport_error(api: httpx.Client, control: httpx.Client) -> None:
    control.post("faults", json={"reset_connection": True, "count": 1})
    with pytest.raises(httpx.TransportError):
        api.get("products", params=PAGE)
    assert api.get("products", params=PAGE).status_code == 200


def test_paths_scope_the_fault(api: httpx.Client, control: httpx.Client) -> None:
    control.post("faults", json={"status": 503, "paths": "/inventory/"})
    assert api.get("products", params=PAGE).status_code == 200
    assert api.get("inventory/sources", params=PAGE).status_code == 503


def test_rate_is_deterministic_with_a_seed(api: httpx.Client, control: httpx.Client) -> None:
    def run() -> list[int]:
        control.post("faults", json={"status": 502, "rate": 0.5, "seed": 123})
        return [api.get("products", params=PAGE).status_code for _ in range(12)]

    first, second = run(), run()
    assert first == second and 502 in first and 200 in first


def test_invalid_fault_config_is_refused(control: httpx.Client) -> None:
    assert control.post("faults", json={"status": 418}).status_code == 400
    assert control.post("faults", json={"bogus": 1}).status_code == 400


def test_stats_count_calls_per_route(api: httpx.Client, control: httpx.Client) -> None:
    control.delete("stats")
    assert control.get("stats").json() == {"total": 0, "routes": {}}
    api.get("products", params=PAGE)
    api.get("products/NO-SUCH")
    api.get("nothing/here")
    routes = control.get("stats").json()["routes"]
    assert routes == {"GET /V1/products": 1, "GET /V1/products/:sku": 1, "GET <no route>": 1}


def test_control_token_guard(sandbox_server: str) -> None:
    from magento_sandbox import SandboxOptions, create_sandbox_app

    client = create_sandbox_app(SandboxOptions(products=5, control_token="s3cret")).test_client()
    assert client.get("/__sandbox/stats").status_code == 403
    assert client.get("/__sandbox/stats", headers={"X-Sandbox-Control": "s3cret"}).status_code == 200
