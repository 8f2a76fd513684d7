"""MSI source items: all-or-nothing validation with errors[], empty list, unknown source, state check."""
from __future__ import annotations

import httpx


def _skus(api: httpx.Client, n: int = 2) -> list[str]:
    body = api.get("products", params={"searchCriteria[pageSize]": str(n),
                                       "searchCriteria[filter_groups][0][filters][0][field]": "type_id",
                                       "searchCriteria[filter_groups][0][filters][0][value]": "simple"}).json()
    return [p["sku"] for p in body["items"]]


def _state(control: httpx.Client) -> dict:
    return {(r["sku"], r["source_code"]): r for r in control.get("state/source-items").json()}


def test_valid_batch_is_saved_and_mirrored_into_the_legacy_stock_item(api: httpx.Client, control: httpx.Client) -> None:
    a, b = _skus(api)
    resp = api.post("inventory/source-items", json={"sourceItems": [
        {"sku": a, "source_code": "default", "quantity": 42, "status": 1},
        {"sku": b, "source_code": "src_online_wh", "quantity": "7.5", "status": 1}]})
    assert resp.status_code == 200 and resp.json() == []
    state = _state(control)
    assert state[(a, "default")]["quantity"] == 42 and state[(b, "src_online_wh")]["quantity"] == 7.5
    assert api.get(f"products/{a}").json()["extension_attributes"]["stock_item"]["qty"] == 42


def test_one_bad_item_fails_the_whole_batch(api: httpx.Client, control: httpx.Client) -> None:
    a, _ = _skus(api)
    before = _state(control)
    resp = api.post("inventory/source-items", json={"sourceItems": [
        {"sku": a, "source_code": "default", "quantity": 999, "status": 1},
        {"sku": "NO-SUCH", "source_code": "default", "quantity": 1, "status": 1}]})
    assert resp.status_code == 400
    assert resp.json() == {"message": "Product with requested %field: %value was was not found.",
                           "parameters": {"field": "sku", "value": "NO-SUCH"}}
    assert _state(control) == before  # nothing saved, not even the valid item


def test_several_errors_are_listed_under_validation_failed(api: httpx.Client) -> None:
    a, _ = _skus(api)
    resp = api.post("inventory/source-items", json={"sourceItems": [
        {"sku": a, "source_code": "src rabat", "quantity": 1, "status": 7},
        {"sku": "", "source_code": "default", "status": 1}]})
    assert resp.status_code == 400
    body = resp.json()
    assert body["message"] == "Validation Failed"
    assert body["errors"] == [
        {"message": '"%field" can not contain whitespaces.', "parameters": {"field": "source_code"}},
        {"message": '"%field" should a known status.', "parameters": {"field": "status"}},
        {"message": '"%field" can not be empty.', "parameters": {"field": "sku"}},
        {"message": '"%field" should be numeric.', "parameters": {"field": "quantity"}},
    ]


def test_unknown_source_code_and_empty_list(api: httpx.Client) -> None:
    a, _ = _skus(api)
    unknown = api.post("inventory/source-items", json={"sourceItems": [
        {"sku": a, "source_code": "src_nowhere", "quantity": 1, "status": 1}]})
    assert unknown.status_code == 400 and unknown.json() == {"message": "Could not save Source Item"}
    empty = api.post("inventory/source-items", json={"sourceItems": []})
    assert empty.status_code == 400 and empty.json() == {"message": "Input data is empty"}


def test_non_numeric_quantity_is_a_type_error(api: httpx.Client) -> None:
    a, _ = _skus(api)
    resp = api.post("inventory/source-items", json={"sourceItems": [
        {"sku": a, "source_code": "default", "quantity": "lots", "status": 1}]})
    assert resp.status_code == 400 and resp.json()["parameters"] == {"value": "lots", "type": "float"}


def test_strict_mode_refuses_more_than_20_items(api: httpx.Client, control: httpx.Client) -> None:
    a, _ = _skus(api)
    items = [{"sku": a, "source_code": "default", "quantity": i, "status": 1} for i in range(21)]
    assert api.post("inventory/source-items", json={"sourceItems": items}).status_code == 200
    control.post("faults", json={"strict_limits": True})
    resp = api.post("inventory/source-items", json={"sourceItems": items})
    assert resp.status_code == 400
    assert resp.json() == {"message": 'Maximum items of type "%type" is %max',
                           "parameters": {"type": "Magento\\InventoryApi\\Api\\Data\\SourceItemInterface", "max": 20}}
    assert api.post("inventory/source-items", json={"sourceItems": items[:20]}).status_code == 200


def test_sources_include_the_twelve_mdm_stores_and_default(api: httpx.Client) -> None:
    codes = {s["source_code"] for s in api.get("inventory/sources", params={"searchCriteria": ""}).json()["items"]}
    assert "default" in codes and "src_casablanca" in codes and "src_online_wh" in codes and len(codes) == 13
    stocks = api.get("inventory/stocks", params={"searchCriteria": ""}).json()["items"]
    assert {s["stock_id"] for s in stocks} == {1, 2}
