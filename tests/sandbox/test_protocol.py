"""Webapi protocol rules: URL prefixes, 404 for unknown routes/verbs, bodies, Content-Type, 500 shape."""
from __future__ import annotations

import httpx
import pytest

PAGE = {"searchCriteria[pageSize]": "1"}
NO_ROUTE = {"message": "Request does not match any route."}


@pytest.mark.parametrize("prefix", ["V1", "default/V1", "all/V1"])
def test_store_prefixes_reach_the_same_routes(rest: httpx.Client, admin_token: str, prefix: str) -> None:
    resp = rest.get(f"{prefix}/products", params=PAGE, headers={"Authorization": f"Bearer {admin_token}"})
    assert resp.status_code == 200 and resp.json()["total_count"] == 120


def test_unknown_store_code_matches_no_route(rest: httpx.Client, admin_token: str) -> None:
    resp = rest.get("nostore/V1/products", params=PAGE, headers={"Authorization": f"Bearer {admin_token}"})
    assert resp.status_code == 404 and resp.json() == NO_ROUTE


def test_unknown_route_and_wrong_verb_are_404_never_405(api: httpx.Client, rest: httpx.Client) -> None:
    assert api.get("no/such/route").json() == NO_ROUTE
    wrong_verb = api.delete("orders")
    assert wrong_verb.status_code == 404 and wrong_verb.json() == NO_ROUTE
    # routes the frontend calls but Magento does not have
    assert api.get("products/12/categories").status_code == 404
    assert api.get("stockItems", params=PAGE).status_code == 404
    assert rest.get("V1/nothing").status_code == 404  # route lookup happens before the token check


def test_patch_is_an_invalid_method(api: httpx.Client) -> None:
    resp = api.patch("products/x", json={})
    assert resp.status_code == 400 and resp.json() == {"message": "Request method is invalid."}


def test_malformed_json_is_a_decoding_error(api: httpx.Client) -> None:
    resp = api.post("products", content=b'{"product": ', headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json() == {"message": "Decoding error."}


def test_body_without_content_type_is_refused(api: httpx.Client) -> None:
    resp = api.post("products", content=b'{"product": {}}')
    assert resp.status_code == 400 and resp.json() == {"message": "Content-Type header is empty."}


def test_non_utf8_charset_is_refused(api: httpx.Client) -> None:
    resp = api.post("products", content=b"{}", headers={"Content-Type": "application/json; charset=latin1"})
    assert resp.status_code == 400 and resp.json() == {"message": "UTF-8 is the only supported charset."}


def test_token_route_is_anonymous_but_others_need_the_token(rest: httpx.Client) -> None:
    resp = rest.get("V1/store/storeConfigs")
    assert resp.status_code == 401
    assert resp.json()["parameters"] == {"resources": "Magento_Backend::stores"}


def test_store_configs_is_a_list(api: httpx.Client) -> None:
    configs = api.get("store/storeConfigs").json()
    assert isinstance(configs, list) and configs[0]["code"] == "default"


def test_categories_is_one_tree_object(api: httpx.Client) -> None:
    tree = api.get("categories").json()
    assert tree["id"] == 2 and tree["children_data"] and "children_data" in tree["children_data"][0]
    shallow = api.get("categories", params={"depth": "0"}).json()
    assert shallow["children_data"] == []
