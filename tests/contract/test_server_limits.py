"""Inside the contract (issue 15 items 1 and 7): oversized request lines, headers and chunked bodies, and the
rate-limit headers, answer what the OpenAPI document says, under the Flask app and under real Gunicorn."""
from __future__ import annotations

import http.client
import time

import pytest

from app.middleware import HEADER_FIELD_LIMIT, REQUEST_LINE_LIMIT
from tests.support.servers import GunicornServer


def test_ratelimit_reset_is_a_number_of_seconds(make_app, auth):
    client = make_app(RATE_LIMIT="5 per minute").test_client()
    resp = client.get("/api/test", headers=auth("viewer"))
    assert resp.status_code == 200
    reset = int(resp.headers["RateLimit-Reset"])
    assert 0 <= reset <= 61  # seconds until the window resets, not a timestamp
    for _ in range(5):
        last = client.get("/api/test", headers=auth("viewer"))
    assert last.status_code == 429 and 0 <= int(last.headers["RateLimit-Reset"]) <= 61


def test_a_long_request_line_is_a_414_envelope(client, auth):
    resp = client.get("/api/test?q=" + "a" * REQUEST_LINE_LIMIT, headers=auth("viewer"))
    assert resp.status_code == 414 and resp.get_json()["error"] == "uri_too_long"


def test_a_large_header_field_is_a_431_envelope(client, auth):
    resp = client.get("/api/test", headers={**auth("viewer"), "X-Big": "b" * HEADER_FIELD_LIMIT})
    assert resp.status_code == 431 and resp.get_json()["error"] == "header_fields_too_large"


def test_every_operation_documents_414_and_431_in_json_and_html(spec):
    for name in ("URI_TOO_LONG", "HEADER_FIELDS_TOO_LARGE"):
        content = spec["components"]["responses"][name]["content"]
        assert set(content) == {"application/json", "text/html"}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            statuses = {str(s) for s in op["responses"]}
            assert {"414", "431"} <= statuses, f"{method} {path}"


@pytest.fixture(scope="module")
def server():
    with GunicornServer(workers=1, env={"MAX_CONTENT_LENGTH": "1000"}) as srv:
        yield srv


def _request(server, method: str, url: str, body=None, headers=None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request(method, url, body=body, headers={**server.headers("admin"), **(headers or {})},
                 encode_chunked=body is not None and not isinstance(body, bytes))
    resp = conn.getresponse()
    resp.body = resp.read()
    conn.close()
    return resp


def test_under_gunicorn_a_chunked_body_over_the_limit_is_a_413(server):
    def chunks():
        for _ in range(20):
            yield b'{"username": "' + b"a" * 100 + b'", '
    resp = _request(server, "POST", "/api/auth/login", body=chunks(), headers={"Content-Type": "application/json"})
    assert resp.status == 413, resp.body
    small = _request(server, "POST", "/api/auth/login", body=iter([b'{"username": "a", ', b'"password": "b"}']),
                     headers={"Content-Type": "application/json"})
    assert small.status not in (400, 413), small.body  # a chunked body under the limit is read whole


def test_under_gunicorn_request_line_and_header_limits_answer_as_documented(server):
    started = time.monotonic()
    app_414 = _request(server, "GET", "/api/test?q=" + "a" * 5000)
    assert app_414.status == 414 and app_414.getheader("Content-Type") == "application/json"
    gunicorn_414 = _request(server, "GET", "/api/test?q=" + "a" * 9000)
    assert gunicorn_414.status == 414 and gunicorn_414.getheader("Content-Type", "").startswith("text/html")
    app_431 = _request(server, "GET", "/api/test", headers={"X-Big": "b" * 9000})
    assert app_431.status == 431 and app_431.getheader("Content-Type") == "application/json"
    gunicorn_431 = _request(server, "GET", "/api/test", headers={"X-Big": "b" * 17000})
    assert gunicorn_431.status == 431 and gunicorn_431.getheader("Content-Type", "").startswith("text/html")
    assert time.monotonic() - started < 30
