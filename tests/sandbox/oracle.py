"""The Swagger 2.0 oracle as jsonschema validators (definitions resolved through $ref).

Magento's generated swagger disagrees with what Magento's REST layer actually renders in a few known
places; CORRECTIONS lists each one with the reason, and tests prove the raw oracle rejects the real shape."""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

SWAGGER = Path("/work/shared/reference/magento-2.4-rest-swagger.json")


@lru_cache(maxsize=1)
def raw_swagger() -> dict:
    return json.loads(SWAGGER.read_text(encoding="utf-8"))


def _nullable(defs: dict, name: str, prop: str) -> None:
    schema = defs[name]["properties"][prop]
    defs[name]["properties"][prop] = {"anyOf": [schema, {"type": "null"}]}


@lru_cache(maxsize=1)
def corrected_definitions() -> dict:
    defs = copy.deepcopy(raw_swagger()["definitions"])
    # 1. ErrorProcessor renders named placeholders' parameters as an OBJECT ({"resources": ...}) and %1-style
    #    ones as a list of strings; the swagger only knows a list of objects.
    defs["error-parameters"] = {"anyOf": [
        {"type": "object"}, {"type": "array", "items": {"type": "string"}}, copy.deepcopy(defs["error-parameters"])]}
    # 2. Getters declared non-null but returning null are rendered as null (open bulk operations,
    #    a stock item never low, payment fields of offline methods).
    for name, prop in [("asynchronous-operations-data-summary-operation-status-interface", "result_message"),
                       ("asynchronous-operations-data-summary-operation-status-interface", "error_code"),
                       ("catalog-inventory-data-stock-item-interface", "low_stock_date"),
                       ("sales-data-order-payment-interface", "account_status"),
                       ("sales-data-order-payment-interface", "cc_last4")]:
        _nullable(defs, name, prop)
    # 3. Multi-valued custom attributes (category_ids, multiselects) are rendered as arrays of strings.
    defs["framework-attribute-interface"]["properties"]["value"] = {
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    return defs


def validator(schema: dict, *, corrected: bool = True) -> Draft4Validator:
    defs = corrected_definitions() if corrected else raw_swagger()["definitions"]
    return Draft4Validator({**schema, "definitions": defs})


def definition(name: str, *, corrected: bool = True) -> Draft4Validator:
    return validator({"$ref": f"#/definitions/{name}"}, corrected=corrected)


def response_schema(path: str, method: str, status: str = "200") -> dict:
    """The response schema the oracle declares for one operation."""
    op = raw_swagger()["paths"][path][method.lower()]
    responses = op["responses"]
    resp = responses.get(status) or responses["default"]
    return resp.get("schema", {})


def assert_response(path: str, method: str, body: Any, status: int = 200) -> None:
    """Validate a response body against the oracle (errors against error-response)."""
    if status >= 400:
        definition("error-response").validate(body)
        return
    validator(response_schema(path, method, str(status))).validate(body)


def assert_request(path: str, method: str, body: Any) -> None:
    """Validate a request body against the oracle's body parameter."""
    op = raw_swagger()["paths"][path][method.lower()]
    for param in op.get("parameters", []):
        if param.get("in") == "body":
            validator(param["schema"]).validate(body)
            return
    raise AssertionError(f"{method} {path} has no body parameter in the oracle")
