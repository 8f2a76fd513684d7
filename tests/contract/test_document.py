"""The OpenAPI document is valid, matches the URL map both ways, and documents the generic errors."""
from __future__ import annotations

from openapi_spec_validator import validate

from app.api.openapi import OPERATION_METHODS, required_role
from tests.contract.spec_routes import (
    describe,
    documented_operations,
    openapi_path,
    served_operations,
)

ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in OPERATION_METHODS:
                yield path, method, operation


def _response(spec: dict, response: dict) -> dict:
    ref = response.get("$ref")
    return spec["components"]["responses"][ref.rsplit("/", 1)[1]] if ref else response


def test_the_document_is_a_valid_openapi_3_document(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}


def test_the_served_document_is_the_generated_one(app, client, auth):
    resp = client.get("/api/openapi.json", headers=auth("viewer"))
    assert resp.status_code == 200
    assert resp.get_json() == app.extensions["api"].spec.to_dict()


def test_every_route_is_documented(app, spec):
    missing = served_operations(app) - documented_operations(spec)
    assert not missing, f"routes missing from the document: {describe(missing)}"


def test_every_documented_operation_exists(app, spec):
    phantom = documented_operations(spec) - served_operations(app)
    assert not phantom, f"documented operations with no route: {describe(phantom)}"


def test_no_catch_all_response_hides_an_undocumented_status(spec):
    offenders = [f"{m.upper()} {p}" for p, m, op in _operations(spec) if "default" in op["responses"]]
    assert not offenders


def test_secured_operations_document_bearer_role_401_and_403(spec):
    for path, method, operation in _operations(spec):
        role = required_role(operation, method)
        if role is None:
            assert operation["security"] == [], f"{method} {path}"
            continue
        assert operation["security"] == [{"bearerAuth": []}], f"{method} {path}"
        assert operation["x-required-role"] in ("viewer", "operator", "admin"), f"{method} {path}"
        assert "401" in operation["responses"], f"{method} {path}"
        assert ("403" in operation["responses"]) == (role != "viewer"), f"{method} {path}"


def test_the_documented_role_is_the_enforced_role(app, spec):
    from app.security import PUBLIC, required_role_for
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in rule.methods - {"OPTIONS", "HEAD"}:
            operation = spec["paths"][openapi_path(rule.rule)][method.lower()]
            enforced = required_role_for(view, method)
            expected = None if enforced == PUBLIC else enforced.value
            assert required_role(operation, method.lower()) == expected, f"{method} {rule.rule}"


def test_429_is_documented_exactly_where_the_rate_limit_applies(app, spec):
    from app.middleware import OPS_PATH_PREFIXES

    for path, method, operation in _operations(spec):
        exempt = path.startswith(OPS_PATH_PREFIXES)  # the limiter exempts the health and metrics blueprints
        assert ("429" in operation["responses"]) == (not exempt), f"{method} {path}"


def test_probes_and_metrics_are_exempt_and_the_api_is_limited(make_app, auth):
    client = make_app(RATE_LIMIT="2 per minute").test_client()
    for _ in range(4):
        assert client.get("/api/health").status_code == 200
        assert client.get("/api/metrics", headers=auth("viewer")).status_code == 200
    statuses = [client.get("/api/test", headers=auth("viewer")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_inputs_document_400_and_bodies_413(spec):
    for path, method, operation in _operations(spec):
        params = [p for p in operation.get("parameters", []) if p.get("in") != "path"]
        if params or "requestBody" in operation:
            assert "400" in operation["responses"], f"{method} {path}"
        if "requestBody" in operation:
            assert "413" in operation["responses"], f"{method} {path}"


def test_foundation_error_responses_use_the_envelope(spec):
    for path, method, operation in _operations(spec):
        # Magento's own 400/404 bodies pass through the proxy routes, which say so in the document.
        passthrough = {str(s) for s in operation.get("x-passthrough-errors", [])}
        for status in ("400", "401", "403", "404", "413", "429"):
            if status in operation["responses"] and status not in passthrough:
                response = _response(spec, operation["responses"][status])
                assert response["content"]["application/json"]["schema"] == ERROR_REF, f"{method} {path} {status}"


def test_tolerances_are_documented_not_switched_off(spec):
    get = spec["paths"]["/api/testing/tolerant"]["get"]
    passthrough = [p for p in get["parameters"] if p["name"] == "passthrough"]
    assert passthrough and passthrough[0]["schema"]["additionalProperties"] == {"type": "string"}
    assert spec["paths"]["/api/testing/tolerant"]["post"]["requestBody"]["required"] is False
    assert "application/json" in spec["paths"]["/api/testing/tolerant"]["delete"]["requestBody"]["content"]


def test_passthrough_errors_are_declared_only_on_magento_routes(spec):
    marked = [path for path, _, operation in _operations(spec) if "x-passthrough-errors" in operation]
    assert marked and all(path.startswith("/api/magento/") for path in marked)
