"""Async bulk: 202 with request_items, operations open (4) until the consumer runs, 400 on a bad element."""
from __future__ import annotations

import time

import httpx

from magento_sandbox import SandboxOptions, start_sandbox_thread
from tests.sandbox.conftest import ADMIN


def _bulk(rest: httpx.Client, token: str, body: object, store: str = "default") -> httpx.Response:
    return rest.post(f"{store}/async/bulk/V1/products", json=body, headers={"Authorization": f"Bearer {token}"})


def test_operations_stay_open_until_the_consumer_runs(api: httpx.Client, rest: httpx.Client, admin_token: str,
                                                      control: httpx.Client) -> None:
    sku = api.get("products", params={"searchCriteria[pageSize]": "1"}).json()["items"][0]["sku"]
    resp = _bulk(rest, admin_token, [{"product": {"sku": sku, "price": 123.45}},
                                     {"product": {"sku": "BULK-NEW", "name": "Bulk", "price": 5}},
                                     {"product": {"sku": "BULK-NONAME", "price": 5}}])
    assert resp.status_code == 202
    body = resp.json()
    assert body["errors"] is False and [i["status"] for i in body["request_items"]] == ["accepted"] * 3
    assert [i["id"] for i in body["request_items"]] == [0, 1, 2]
    uuid = body["bulk_uuid"]
    status = api.get(f"bulk/{uuid}/status").json()
    assert [op["status"] for op in status["operations_list"]] == [4, 4, 4]
    assert api.get(f"products/{sku}").json()["price"] != 123.45  # nothing applied yet
    assert control.post("consumers/run", json={}).json() == {"completed": 2, "failed": 1}
    ops = api.get(f"bulk/{uuid}/status").json()["operations_list"]
    assert [op["status"] for op in ops] == [1, 1, 3]
    assert ops[2]["result_message"] == 'The "Product Name" attribute value is empty. Set the attribute and try again.'
    assert api.get(f"products/{sku}").json()["price"] == 123.45
    detailed = api.get(f"bulk/{uuid}/detailed-status").json()
    assert detailed["operations_list"][0]["bulk_uuid"] == uuid


def test_one_malformed_element_fails_the_whole_request(rest: httpx.Client, admin_token: str,
                                                       api: httpx.Client) -> None:
    resp = _bulk(rest, admin_token, [{"product": {"sku": "OK-1", "name": "ok", "price": 1}}, {"nope": 1}])
    assert resp.status_code == 400 and resp.json()["parameters"] == {"fieldName": "product"}
    assert api.get("products/OK-1").status_code == 404


def test_unknown_bulk_uuid_is_404(api: httpx.Client) -> None:
    resp = api.get("bulk/1b0e9fd4-0000-4000-8000-000000000000/status")
    assert resp.status_code == 404
    assert resp.json() == {"message": "Bulk uuid %bulkUuid not exist",
                           "parameters": {"bulkUuid": "1b0e9fd4-0000-4000-8000-000000000000"}}


def test_rejected_items_are_reported(rest: httpx.Client, admin_token: str, control: httpx.Client) -> None:
    control.post("faults", json={"bulk_reject_rate": 1.0})
    body = _bulk(rest, admin_token, [{"product": {"sku": "R-1", "name": "r", "price": 1}}]).json()
    assert body["errors"] is True and body["request_items"][0]["status"] == "rejected"


def test_the_consumer_runs_by_itself_after_the_configured_delay() -> None:
    server = start_sandbox_thread(options=SandboxOptions(products=20, consumer_delay_s=0.2))
    try:
        with httpx.Client(base_url=f"{server.url}/rest/", timeout=5) as client:
            token = client.post("V1/integration/admin/token", json=ADMIN).json()
            auth = {"Authorization": f"Bearer {token}"}
            uuid = client.post("async/bulk/V1/products", headers=auth,
                               json=[{"product": {"sku": "AUTO-1", "name": "Auto", "price": 2}}]).json()["bulk_uuid"]
            assert client.get(f"V1/bulk/{uuid}/status", headers=auth).json()["operations_list"][0]["status"] == 4
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                ops = client.get(f"V1/bulk/{uuid}/status", headers=auth).json()["operations_list"]
                if ops[0]["status"] == 1:
                    break
                time.sleep(0.05)
            assert ops[0]["status"] == 1
            assert client.get("V1/products/AUTO-1", headers=auth).status_code == 200
    finally:
        server.stop()
