"""Every request body the typed helpers send is validated against the oracle (Swagger 2.0, jsonschema)."""
from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from app.adapters.magento import MagentoClient

ORACLE = Path("/work/shared/reference/magento-2.4-rest-swagger.json")
_STORE_PREFIX = re.compile(r"^/rest/[^/]+(?P<route>/.*)$")


def _strict(node: Any) -> Any:
    """Objects with declared properties refuse unknown ones: Magento answers 500/400 to them."""
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@lru_cache(maxsize=1)
def _oracle() -> tuple[list[tuple[str, re.Pattern[str], int, dict | None]], dict]:
    spec = json.loads(ORACLE.read_text())
    definitions = _strict(copy.deepcopy(spec["definitions"]))
    operations = []
    for path, item in spec["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for method, op in item.items():
            body = next((p["schema"] for p in op.get("parameters", []) if p.get("in") == "body"), None)
            operations.append((method.upper(), pattern, path.count("{"), _strict(body) if body else None))
    operations.sort(key=lambda op: op[2])  # static routes win over templated ones (base-prices vs {sku})
    return operations, definitions


class OracleError(AssertionError):
    pass


def validate_request(request: httpx.Request) -> str:
    """Check route and body against the oracle; returns the matched oracle path pattern."""
    raw_path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
    match = _STORE_PREFIX.match(raw_path)
    if not match:
        raise OracleError(f"not a /rest/<store>/ URL: {raw_path}")
    route, is_bulk = match.group("route"), False
    if route.startswith("/async/bulk/"):  # the oracle lists the sync route; bulk sends an array of its bodies
        route, is_bulk = route[len("/async/bulk"):], True
    operations, definitions = _oracle()
    # schema and pattern are read after the loop (the matched operation, kept by `break`)
    for method, pattern, _, schema in operations:  # noqa: B007
        if method == request.method and pattern.match(route):
            break
    else:
        raise OracleError(f"{request.method} {route} is not in the oracle")
    if schema is None:
        if request.content:
            raise OracleError(f"{request.method} {route} takes no body")
        return pattern.pattern
    body = json.loads(request.content)
    documents = body if is_bulk else [body]
    if is_bulk and not isinstance(body, list):
        raise OracleError("async bulk bodies are arrays")
    for document in documents:
        try:
            jsonschema.Draft4Validator({**schema, "definitions": definitions}).validate(document)
        except jsonschema.ValidationError as exc:
            raise OracleError(f"{request.method} {route}: {exc.message} at {list(exc.absolute_path)}") from exc
    return pattern.pattern


class OracleValidatingTransport(httpx.BaseTransport):
    """Validates each request before handing it to the wrapped transport."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.validated: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.validated.append(validate_request(request))
        return self.inner.handle_request(request)


@pytest.fixture
def oracle_transport(fake) -> OracleValidatingTransport:
    return OracleValidatingTransport(httpx.MockTransport(fake))


@pytest.fixture
def checked(make_client, oracle_transport) -> MagentoClient:
    return make_client(transport=oracle_transport)


IMAGE = {"base64_encoded_data": "iVBORw0KGgo=", "type": "image/png", "name": "front.png"}


def test_every_typed_helper_sends_an_oracle_valid_request(checked: MagentoClient, fake, oracle_transport) -> None:
    fake.script("POST", "/rest/default/async/bulk/V1/products", httpx.Response(202, json={
        "bulk_uuid": "b-1", "request_items": [], "errors": False}))
    fake.script("POST", "/rest/default/V1/products/base-prices", httpx.Response(200, json=[]))
    checked.base_prices([{"sku": "A-1", "price": 12.5, "store_id": 0}])
    checked.post_source_items([{"sku": "A-1", "source_code": "default", "quantity": 3.0, "status": 1}])
    checked.save_product({"sku": "A/1", "price": 10.0, "status": 1,
                          "custom_attributes": [{"attribute_code": "mgs_brand", "value": "12"}],
                          "extension_attributes": {"website_ids": [1]}}, save_options=True)
    checked.bulk_products_async([{"sku": "A-1", "price": 9.0}, {"sku": "B-2", "price": 8.0}])
    checked.upload_media("A-1", {"media_type": "image", "label": "Front", "position": 1, "disabled": False,
                                 "types": ["image", "small_image", "thumbnail"], "content": IMAGE})
    checked.admin_token(fake.USERNAME, fake.PASSWORD)
    checked.get_product("A-1")
    checked.bulk_status("b-1")
    checked.search("orders", {"pageSize": 10, "currentPage": 1})
    assert "^/V1/products/base\\-prices$" in oracle_transport.validated
    assert len(oracle_transport.validated) == 10  # nine calls + the integration token fetch


@pytest.mark.parametrize("call, message", [
    (lambda c: c.post_source_items([{"sku": "A", "source_code": "default", "qty": 1, "status": 1}]),
     "Additional properties are not allowed"),
    (lambda c: c.base_prices([{"sku": "A", "price": 1.0}]), "'store_id' is a required property"),
    (lambda c: c.save_product({"sku": "A", "price": "cheap"}), "is not of type 'number'"),
    (lambda c: c.upload_media("A", {"media_type": "image", "label": "x", "position": 1, "disabled": False,
                                    "types": [], "content": {"base64_encoded_data": "x", "type": "image/png"}}),
     "'name' is a required property"),
])
def test_the_oracle_validator_rejects_bodies_magento_would_refuse(checked: MagentoClient, call, message) -> None:
    with pytest.raises(OracleError, match=message):
        call(checked)


def test_the_oracle_validator_rejects_unknown_routes(checked: MagentoClient) -> None:
    with pytest.raises(OracleError, match="not in the oracle"):
        checked.request("POST", "products/prices-everywhere", json_body={})
