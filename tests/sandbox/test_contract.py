"""Sandbox responses validated against the Swagger 2.0 oracle with jsonschema (errors against error-response)."""
from __future__ import annotations

import base64

import httpx
import pytest
from jsonschema import ValidationError

from tests.sandbox.oracle import (
    assert_request,
    assert_response,
    definition,
    response_schema,
    validator,
)

PAGE = {"searchCriteria[pageSize]": "5", "searchCriteria[currentPage]": "1"}
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def _sku(api: httpx.Client) -> str:
    return api.get("products", params=PAGE).json()["items"][0]["sku"]


@pytest.mark.parametrize("path, oracle_path", [
    ("products", "/V1/products"),
    ("orders", "/V1/orders"),
    ("customers/search", "/V1/customers/search"),
    ("invoices", "/V1/invoices"),
    ("inventory/source-items", "/V1/inventory/source-items"),
    ("inventory/sources", "/V1/inventory/sources"),
    ("inventory/stocks", "/V1/inventory/stocks"),
    ("categories/list", "/V1/categories/list"),
    ("products/attributes", "/V1/products/attributes"),
    ("cmsPage/search", "/V1/cmsPage/search"),
    ("cmsBlock/search", "/V1/cmsBlock/search"),
])
def test_search_results_match_the_oracle(api: httpx.Client, path: str, oracle_path: str) -> None:
    resp = api.get(path, params={**PAGE, "searchCriteria[sortOrders][0][field]": "created_at",
                                 "searchCriteria[sortOrders][0][direction]": "DESC"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["items"], path
    assert_response(oracle_path, "get", body)


@pytest.mark.parametrize("path, oracle_path", [
    ("store/storeConfigs", "/V1/store/storeConfigs"),
    ("categories", "/V1/categories"),
    ("products/attributes/mgs_brand", "/V1/products/attributes/{attributeCode}"),
    ("products/attributes/mgs_brand/options", "/V1/products/attributes/{attributeCode}/options"),
    ("orders/1", "/V1/orders/{id}"),
    ("cmsPage/1", "/V1/cmsPage/{pageId}"),
])
def test_reads_match_the_oracle(api: httpx.Client, path: str, oracle_path: str) -> None:
    resp = api.get(path)
    assert resp.status_code == 200, resp.text
    assert_response(oracle_path, "get", resp.json())


def test_single_product_and_save_match_the_oracle(api: httpx.Client) -> None:
    sku = _sku(api)
    got = api.get(f"products/{sku}")
    assert_response("/V1/products/{sku}", "get", got.json())
    assert "stock_item" in got.json()["extension_attributes"]
    body = {"product": {"sku": "NEW-1", "name": "Nouveau", "price": 12.5, "attribute_set_id": 4, "type_id": "simple",
                        "custom_attributes": [{"attribute_code": "mgs_brand", "value": "201"}]}}
    assert_request("/V1/products", "post", body)
    created = api.post("products", json=body)
    assert created.status_code == 200
    assert_response("/V1/products", "post", created.json())


def test_admin_token_is_a_bare_string_per_the_oracle(rest: httpx.Client) -> None:
    body = {"username": "admin", "password": "sandbox123"}
    assert_request("/V1/integration/admin/token", "post", body)
    resp = rest.post("V1/integration/admin/token", json=body)
    assert resp.status_code == 200 and isinstance(resp.json(), str)
    assert_response("/V1/integration/admin/token", "post", resp.json())


def test_base_prices_failures_match_the_oracle(api: httpx.Client) -> None:
    body = {"prices": [{"sku": _sku(api), "price": 10, "store_id": 0}, {"sku": "NO-SUCH", "price": 1, "store_id": 0}]}
    assert_request("/V1/products/base-prices", "post", body)
    resp = api.post("products/base-prices", json=body)
    assert resp.status_code == 200
    assert_response("/V1/products/base-prices", "post", resp.json())
    assert resp.json() == [{"message": "Invalid attribute %fieldName = %fieldValue.", "parameters": ["SKU", "NO-SUCH"]}]


def test_source_items_save_and_error_match_the_oracle(api: httpx.Client) -> None:
    good = {"sourceItems": [{"sku": _sku(api), "source_code": "src_rabat", "quantity": 3, "status": 1}]}
    assert_request("/V1/inventory/source-items", "post", good)
    resp = api.post("inventory/source-items", json=good)
    assert resp.status_code == 200 and resp.json() == []
    bad = api.post("inventory/source-items", json={"sourceItems": [
        {"sku": "NOPE", "source_code": "src rabat", "quantity": 1, "status": 1}]})
    assert bad.status_code == 400
    assert_response("/V1/inventory/source-items", "post", bad.json(), status=400)


def test_bulk_status_matches_the_oracle(api: httpx.Client, rest: httpx.Client, admin_token: str) -> None:
    resp = rest.post("default/async/bulk/V1/products", json=[{"product": {"sku": _sku(api), "price": 9.5}}],
                     headers={"Authorization": f"Bearer {admin_token}"})
    assert resp.status_code == 202
    status = api.get(f"bulk/{resp.json()['bulk_uuid']}/status")
    assert_response("/V1/bulk/{bulkUuid}/status", "get", status.json())
    missing = api.get("bulk/00000000-0000-0000-0000-000000000000/status")
    assert missing.status_code == 404
    assert_response("/V1/bulk/{bulkUuid}/status", "get", missing.json(), status=404)


def test_media_upload_returns_the_id_as_a_json_string(api: httpx.Client) -> None:
    entry = {"entry": {"media_type": "image", "label": "Front", "position": 1, "disabled": False,
                       "types": ["image", "small_image", "thumbnail"],
                       "content": {"base64_encoded_data": base64.b64encode(PNG).decode(), "type": "image/png",
                                   "name": "front.png"}}}
    assert_request("/V1/products/{sku}/media", "post", entry)
    resp = api.post(f"products/{_sku(api)}/media", json=entry)
    assert resp.status_code == 200
    # Magento renders the int id as a JSON string ("3418"); the generated swagger says integer.
    assert response_schema("/V1/products/{sku}/media", "post")["type"] == "integer"
    assert isinstance(resp.json(), str) and resp.json().isdigit()
    listed = api.get(f"products/{_sku(api)}/media")
    assert_response("/V1/products/{sku}/media", "get", listed.json())


@pytest.mark.parametrize("call", ["no_token", "unknown_sku", "no_criteria", "bad_json"])
def test_error_bodies_match_error_response(rest: httpx.Client, api: httpx.Client, call: str) -> None:
    if call == "no_token":
        resp = rest.get("V1/products", params=PAGE)
    elif call == "unknown_sku":
        resp = api.get("products/NO-SUCH")
    elif call == "no_criteria":
        resp = api.get("products")
    else:
        resp = api.post("products", content=b"{oops", headers={"Content-Type": "application/json"})
    assert resp.status_code in (400, 401, 404)
    definition("error-response").validate(resp.json())


def test_raw_oracle_rejects_real_magento_parameter_objects(rest: httpx.Client) -> None:
    """Why tests/sandbox/oracle.py corrects error-parameters: Magento sends an object there."""
    body = rest.get("V1/products", params=PAGE).json()
    assert body == {"message": "The consumer isn't authorized to access %resources.",
                    "parameters": {"resources": "Magento_Catalog::products"}}
    with pytest.raises(ValidationError):
        definition("error-response", corrected=False).validate(body)
    validator({"$ref": "#/definitions/error-response"}).validate(body)
