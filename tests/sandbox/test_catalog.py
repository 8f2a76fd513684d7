"""Products upsert, PUT URL SKU, base-prices partial success and media content validation."""
from __future__ import annotations

import base64

import httpx
import pytest

from tests.sandbox.test_contract import PNG

PRODUCT_404 = {"message": "The product that was requested doesn't exist. Verify the product and try again."}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def _sku(api: httpx.Client, n: int = 0) -> str:
    items = api.get("products", params={"searchCriteria[pageSize]": "10",
                                        "searchCriteria[filter_groups][0][filters][0][field]": "type_id",
                                        "searchCriteria[filter_groups][0][filters][0][value]": "simple"}).json()
    return items["items"][n]["sku"]


def test_post_is_an_upsert_by_sku(api: httpx.Client) -> None:
    body = {"product": {"sku": "UPSERT-1", "name": "First", "price": 10, "type_id": "simple", "attribute_set_id": 4}}
    first = api.post("products", json=body).json()
    body["product"]["name"] = "Second"
    second = api.post("products", json=body)
    assert second.status_code == 200  # no 409: same entity updated
    assert second.json()["id"] == first["id"] and second.json()["name"] == "Second"
    assert api.get("products/upsert-1").json()["name"] == "Second"  # SKU lookup is case-insensitive


def test_put_url_sku_wins_over_the_body(api: httpx.Client) -> None:
    sku = _sku(api)
    resp = api.put(f"products/{sku}", json={"product": {"sku": "SOMETHING-ELSE", "price": 77.5}})
    assert resp.status_code == 200 and resp.json()["sku"] == sku and resp.json()["price"] == 77.5
    assert api.get("products/SOMETHING-ELSE").status_code == 404


def test_unknown_sku_is_404_with_magentos_message(api: httpx.Client) -> None:
    resp = api.get("products/NO-SUCH-SKU")
    assert resp.status_code == 404 and resp.json() == PRODUCT_404


def test_sku_with_encoded_slash_is_one_segment(api: httpx.Client) -> None:
    api.post("products", json={"product": {"sku": "A/B", "name": "Slash", "price": 1}})
    assert api.get("products/A%2FB").json()["sku"] == "A/B"


def test_new_product_without_name_is_refused(api: httpx.Client) -> None:
    resp = api.post("products", json={"product": {"sku": "NO-NAME", "price": 3}})
    assert resp.status_code == 400
    assert resp.json() == {"message": 'The "%1" attribute value is empty. Set the attribute and try again.',
                           "parameters": ["Product Name"]}


def test_unknown_product_property_is_an_internal_error(api: httpx.Client) -> None:
    resp = api.post("products", json={"product": {"sku": "X", "name": "X", "price": 1, "colour": "red"}})
    assert resp.status_code == 500
    assert resp.json()["message"].startswith("Internal Error. Details are available in Magento log file. Report ID: "
                                             "webapi-")


def test_base_prices_partial_success(api: httpx.Client) -> None:
    good, other = _sku(api, 0), _sku(api, 1)
    resp = api.post("products/base-prices", json={"prices": [
        {"sku": good, "price": 19.5, "store_id": 0},
        {"sku": "NO-SUCH", "price": 1, "store_id": 0},
        {"sku": other, "price": -4, "store_id": 0},
        {"sku": other, "price": 4, "store_id": 99},
    ]})
    assert resp.status_code == 200
    assert resp.json() == [
        {"message": "Invalid attribute %fieldName = %fieldValue.", "parameters": ["SKU", "NO-SUCH"]},
        {"message": "Invalid attribute %fieldName = %fieldValue.", "parameters": ["Price", "-4"]},
        {"message": "Requested store is not found. Row ID: SKU = %SKU, Store ID: %storeId.",
         "parameters": [other, "99"]},
    ]
    assert api.get(f"products/{good}").json()["price"] == 19.5
    assert api.post("products/base-prices", json={"prices": [{"sku": good, "price": 20, "store_id": 0}]}).json() == []


def test_base_prices_non_numeric_price_fails_the_whole_call(api: httpx.Client) -> None:
    resp = api.post("products/base-prices", json={"prices": [{"sku": _sku(api), "price": "abc", "store_id": 0}]})
    assert resp.status_code == 400
    assert resp.json() == {"message": 'Invalid type for value: "%value". Expected Type: "%type".',
                           "parameters": {"value": "abc", "type": "float"}}


def _entry(data: bytes, mime: str = "image/png", name: str = "front.png", raw: str | None = None) -> dict:
    return {"entry": {"media_type": "image", "label": "x", "position": 1, "disabled": False, "types": ["image"],
                      "content": {"base64_encoded_data": raw if raw is not None else base64.b64encode(data).decode(),
                                  "type": mime, "name": name}}}


@pytest.mark.parametrize("entry, message", [
    (_entry(b"", raw="not base64!!"), "The image content must be valid base64 encoded data."),
    (_entry(b"plain text, not an image"), "The image content must be valid base64 encoded data."),
    (_entry(PNG, mime="image/jpeg"), "The image MIME type is not valid or not supported."),
    (_entry(JPEG, mime="image/jpg"), "The image MIME type is not valid or not supported."),
    (_entry(PNG, name="a/b.png"), "Provided image name contains forbidden characters."),
    (_entry(PNG, name="x:y.png"), "Provided image name contains forbidden characters."),
])
def test_media_content_validation(api: httpx.Client, entry: dict, message: str) -> None:
    resp = api.post(f"products/{_sku(api)}/media", json=entry)
    assert resp.status_code == 400 and resp.json() == {"message": message}


def test_media_for_unknown_sku_is_404_and_ids_are_strings(api: httpx.Client) -> None:
    assert api.post("products/NO-SUCH/media", json=_entry(PNG)).status_code == 404
    sku = _sku(api)
    first = api.post(f"products/{sku}/media", json=_entry(JPEG, mime="image/jpeg", name="a.jpg")).json()
    second = api.post(f"products/{sku}/media", json=_entry(JPEG, mime="image/jpeg", name="a.jpg")).json()
    assert first.isdigit() and int(second) == int(first) + 1
    files = [e["file"] for e in api.get(f"products/{sku}/media").json()]
    assert files[0] != files[1]  # duplicate names are renamed, not overwritten


def test_brand_options_crud(api: httpx.Client) -> None:
    new_id = api.post("products/attributes/mgs_brand/options",
                      json={"option": {"label": "Acme", "value": "acme", "sort_order": 0}})
    assert new_id.status_code == 200 and new_id.json().isdigit()
    labels = [o["label"] for o in api.get("products/attributes/mgs_brand/options").json()]
    assert "Acme" in labels
    assert api.delete(f"products/attributes/mgs_brand/options/{new_id.json()}").json() is True
    assert api.delete(f"products/attributes/mgs_brand/options/{new_id.json()}").status_code == 404
    # PUT on an option is not in Magento 2.4.5's route table: 404 like any unknown route
    assert api.put("products/attributes/mgs_brand/options/201", json={"option": {"label": "x"}}).status_code == 404


def test_cms_page_create_update_delete(api: httpx.Client) -> None:
    created = api.post("cmsPage", json={"page": {"title": "Promo", "identifier": "promo", "content": "<p/>",
                                                 "is_active": True}})
    assert created.status_code == 200
    page_id = created.json()["id"]
    assert api.put(f"cmsPage/{page_id}", json={"page": {"title": "Promo 2"}}).json()["title"] == "Promo 2"
    assert api.delete(f"cmsPage/{page_id}").json() is True
    gone = api.get(f"cmsPage/{page_id}")
    assert gone.status_code == 404 and gone.json()["parameters"] == [str(page_id)]
