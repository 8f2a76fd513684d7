"""Invalid input of each kind (query, path, JSON body, multipart file) is a 400 naming each bad field."""
from __future__ import annotations

import io

import jsonschema
import pytest


@pytest.fixture
def error_schema(spec) -> dict:
    # The envelope as the document promises it (OAS 3.0 `nullable` spelled for JSON Schema).
    schema = {**spec["components"]["schemas"]["Error"]}
    schema["properties"] = {**schema["properties"], "requestId": {"type": ["string", "null"]}}
    return schema


def _assert_invalid(resp, error_schema: dict, *fields: str) -> dict:
    assert resp.status_code == 400, resp.get_data(as_text=True)
    body = resp.get_json()
    jsonschema.validate(body, error_schema)
    assert body["error"] == "invalid_input"
    for field in fields:
        assert body["details"][field] and all(isinstance(reason, str) for reason in body["details"][field])
    return body


def test_a_bad_query_parameter_is_a_400_naming_it(client, auth, error_schema):
    resp = client.get("/api/testing/tolerant?pageSize=many", headers=auth("viewer"))
    body = _assert_invalid(resp, error_schema, "pageSize")
    assert body["details"]["pageSize"] == ["Not a valid integer."]


def test_a_bad_path_parameter_is_a_400_naming_it(client, auth, error_schema):
    resp = client.get("/api/testing/items/not%20a%20sku!", headers=auth("viewer"))
    _assert_invalid(resp, error_schema, "sku")


def test_a_bad_json_body_is_a_400_naming_each_field(client, auth, error_schema):
    resp = client.post("/api/testing/allocate", json={"mb": 0, "extra": 1}, headers=auth("admin"))
    body = _assert_invalid(resp, error_schema, "mb", "extra")
    assert body["details"]["extra"] == ["Unknown field."]
    missing = client.post("/api/testing/allocate", json={}, headers=auth("admin"))
    assert _assert_invalid(missing, error_schema, "mb")["details"]["mb"] == ["Missing data for required field."]


def test_a_malformed_json_body_is_a_400(client, auth, error_schema):
    resp = client.post("/api/testing/allocate", data="{nope", content_type="application/json",
                       headers=auth("admin"))
    assert resp.status_code == 400
    jsonschema.validate(resp.get_json(), error_schema)
    assert resp.get_json()["error"] == "malformed_json"


def test_a_missing_file_is_a_400_naming_the_field(client, auth, error_schema):
    resp = client.post("/api/testing/upload", data={"other": (io.BytesIO(b"x"), "a.txt")},
                       content_type="multipart/form-data", headers=auth("operator"))
    _assert_invalid(resp, error_schema, "file")


def test_a_file_is_accepted(client, auth):
    resp = client.post("/api/testing/upload", data={"file": (io.BytesIO(b"12345"), "a.png", "image/png")},
                       content_type="multipart/form-data", headers=auth("operator"))
    assert resp.status_code == 200
    assert resp.get_json() == {"filename": "a.png", "size": 5, "contentType": "image/png"}


def test_a_bodiless_post_without_content_type_is_accepted(client, auth):
    resp = client.post("/api/testing/tolerant", headers=auth("operator"))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json() == {"method": "POST", "args": {}}


def test_an_optional_body_is_still_validated_when_sent(client, auth, error_schema):
    resp = client.post("/api/testing/tolerant", json={"force": "perhaps"}, headers=auth("operator"))
    _assert_invalid(resp, error_schema, "force")


def test_unknown_query_parameters_pass_through_and_known_ones_are_validated(client, auth):
    resp = client.get("/api/testing/tolerant?pageSize=5&searchCriteria[pageSize]=20&x=y", headers=auth("viewer"))
    assert resp.status_code == 200
    assert resp.get_json()["args"] == {"pageSize": 5, "searchCriteria[pageSize]": "20", "x": "y"}


def test_a_json_body_on_delete_is_read_and_validated(client, auth, error_schema):
    ok = client.delete("/api/testing/tolerant", json={"sku": "A-1"}, headers=auth("operator"))
    assert ok.status_code == 200 and ok.get_json()["args"] == {"sku": "A-1"}
    bad = client.delete("/api/testing/tolerant", json={"sku": ""}, headers=auth("operator"))
    _assert_invalid(bad, error_schema, "sku")
