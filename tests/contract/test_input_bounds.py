"""One rule for numbers and JSON (issue 15 item 1): out-of-range numbers and hostile JSON are clean 400s.

The findings of the issue are replayed first (each was a 500 with a traceback), then the rule is checked
where it lives: every number of every request schema and path is bounded in the OpenAPI document, and
Hypothesis drives the schemas and the JSON decoder with arbitrary values.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from app.api.bounds import INT_MAX, INT_MIN, NUMBER_LIMIT, unbounded_fields
from app.api.json_body import MAX_DEPTH, JSONLimitError, parse_json

HUGE = "1" * 25


@pytest.fixture
def mdm_app(make_app, tmp_path):
    """An app whose MDM database has its tables (so a 500 could only come from the number itself)."""
    from app.adapters.mdm.tables import create_mdm_schema, mdm_engine
    from app.adapters.sql import create_engine_for

    url = f"sqlite:///{tmp_path / 'mdm.sqlite3'}"
    engine = create_engine_for(url, name="mdm")
    create_mdm_schema(mdm_engine(engine))
    engine.dispose()
    return make_app(MDM_DATABASE_URL=url, RATE_LIMIT_ENABLED=False)


@pytest.mark.parametrize("url", [
    f"/api/task/features?page={HUGE}", f"/api/task/features?category={HUGE}",
    f"/api/voting/features?category={HUGE}", f"/api/sync/jobs?offset={HUGE}", f"/api/mdm/prices?offset={HUGE}",
])
def test_a_25_digit_number_in_a_query_string_is_a_400(mdm_app, auth, url):
    resp = mdm_app.test_client().get(url, headers=auth("admin"))
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.get_json()["error"] == "invalid_input"


def test_a_25_digit_source_code_in_a_body_is_a_400(mdm_app, auth):
    resp = mdm_app.test_client().post("/api/mdm/sync/stocks", data=f'{{"sourceCode": {HUGE}}}',
                                      content_type="application/json", headers=auth("operator"))
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert "sourceCode" in resp.get_json()["details"]


@pytest.mark.parametrize("body, reason", [
    ("[" * 100_000 + "]" * 100_000, "nested deeper"),
    ('{"username": ' + "9" * 5000 + ', "password": "x"}', "number is longer"),
    ('{"username": NaN}', "NaN"),
    ('{"username": 1e400}', "out of range"),
])
def test_hostile_json_on_the_public_login_is_a_400_malformed_json(client, body, reason):
    resp = client.post("/api/auth/login", data=body, content_type="application/json")
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.get_json()["error"] == "malformed_json"
    assert reason in resp.get_json()["details"]["reason"]


def test_request_get_json_has_the_same_limits(client, auth):
    # The Magento proxy reads its body with request.get_json (not webargs): same decoder, same 400.
    resp = client.post("/api/magento/V1/products", data="[" * 5000 + "]" * 5000,
                       content_type="application/json", headers=auth("admin"))
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "malformed_json"


def test_a_price_above_max_price_is_refused_before_any_job(make_app, auth):
    app = make_app(MAX_PRICE=1000.0)
    client = app.test_client()
    for price in (1e308, 1000.01):
        resp = client.post("/api/mdm/sync/prices", json=[{"sku": "A-1", "price": price}], headers=auth("operator"))
        assert resp.status_code == 400, resp.get_data(as_text=True)
        assert "MAX_PRICE" in resp.get_json()["details"]["0"]["price"][0]
    row = app.extensions["api"].spec.to_dict()["components"]["schemas"]["PriceRow"]["properties"]["price"]
    assert (row["minimum"], row["maximum"]) == (0, 1000.0)  # the document states this app's MAX_PRICE


def test_a_path_integer_beyond_int_is_a_404(client, auth):
    resp = client.get(f"/api/magento/products/{HUGE}/categories", headers=auth("viewer"))
    assert resp.status_code == 404


# ----- the rule, where it lives ----------------------------------------------------------------------------
def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _numbers(spec: dict, schema: dict, where: str, seen: set[str]):
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen = seen | {schema["$ref"]}
    schema = _resolve(spec, schema)
    if schema.get("type") in ("integer", "number"):
        yield where, schema
    for name, prop in (schema.get("properties") or {}).items():
        yield from _numbers(spec, prop, f"{where}.{name}", seen)
    if isinstance(schema.get("items"), dict):
        yield from _numbers(spec, schema["items"], f"{where}[]", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _numbers(spec, schema["additionalProperties"], f"{where}{{}}", seen)


def test_every_number_a_client_sends_is_bounded_in_the_document(spec):
    found, unbounded = 0, []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or method == "parameters":
                continue
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            sources = [(f"{p['in']}:{p['name']}", p.get("schema", {})) for p in params]
            for media in (op.get("requestBody") or {}).get("content", {}).values():
                sources.append(("body", media.get("schema", {})))
            for where, schema in sources:
                for name, number in _numbers(spec, schema, where, set()):
                    found += 1
                    if "minimum" not in number or "maximum" not in number:
                        unbounded.append(f"{method.upper()} {path} {name}")
    assert found > 20  # paging, ids, codes, image sizes, prices...
    assert unbounded == []


def _argument_schemas(app):
    for endpoint, view in app.view_functions.items():
        for param in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
            yield endpoint, param["in"], param["schema"]


def test_every_request_schema_instance_is_bounded(app):
    schemas = list(_argument_schemas(app))
    assert len(schemas) > 30
    assert [(e, unbounded_fields(s)) for e, _, s in schemas if unbounded_fields(s)] == []


def _integer_fields(app):
    from marshmallow import fields

    out = []
    for endpoint, location, schema in _argument_schemas(app):
        for name, field in schema.fields.items():
            if isinstance(field, fields.Integer) and not field.dump_only:
                out.append((endpoint, location, schema, name))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), value=st.one_of(st.integers(), st.integers(min_value=-(10**30), max_value=10**30)))
def test_no_integer_field_loads_a_value_outside_the_sql_int_range(app, data, value):
    endpoint, location, schema, name = data.draw(st.sampled_from(_integer_fields(app)))
    raw = str(value) if location in ("query", "path") else value
    many = getattr(schema, "many", False)
    try:
        loaded = schema.load([{name: raw}] if many else {name: raw}, partial=True)
    except ValidationError as err:
        messages = err.messages[0] if many else err.messages
        assert name in messages or value < INT_MIN or value > INT_MAX
        return
    got = (loaded[0] if many else loaded).get(name)
    assert got is None or INT_MIN <= got <= INT_MAX, (endpoint, name, got)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=st.floats(allow_nan=True, allow_infinity=True) | st.floats(min_value=1e15, max_value=1e308))
def test_no_number_field_loads_a_value_beyond_its_limit(app, value):
    from marshmallow import fields

    for _, _, schema in _argument_schemas(app):
        for name, field in schema.fields.items():
            if isinstance(field, fields.Float):
                try:
                    got = field.deserialize(value)
                    for validator in field.validators:
                        validator(got)
                except ValidationError:
                    continue
                assert abs(got) <= NUMBER_LIMIT, (name, got)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30) | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(value=JSON_VALUES)
def test_json_within_the_limits_decodes_as_the_standard_decoder(value):
    text = json.dumps(value)
    assert parse_json(text) == json.loads(text)


@settings(max_examples=200, deadline=None)
@given(depth=st.integers(min_value=MAX_DEPTH + 1, max_value=50_000), opener=st.sampled_from(['[', '{"a":']))
def test_json_deeper_than_the_limit_is_refused_whatever_the_depth(depth, opener):
    closer = "]" if opener == "[" else "}"
    with pytest.raises(JSONLimitError):
        parse_json(opener * depth + "1" + closer * depth)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=300) | st.text(alphabet="[]{}\":,0123456789.eE+-nultrfaseNIiy ", max_size=300))
def test_any_body_decodes_or_raises_a_json_error_only(body):
    try:
        parse_json(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        pass
