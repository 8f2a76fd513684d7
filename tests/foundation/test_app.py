"""The factory, the error envelope, request ids, CORS, security headers and rate limits."""
from __future__ import annotations

import pytest

from config import ConfigError, load_settings


def test_apps_from_the_factory_are_independent(make_app, auth):
    first, second = make_app(), make_app()
    for app in (first, second):
        assert app.test_client().get("/api/test", headers=auth("viewer")).status_code == 200
    assert first.extensions["api"] is not second.extensions["api"]


def test_smoke_endpoint_shape(client, auth):
    body = client.get("/api/test", headers=auth("viewer")).get_json()
    assert body["success"] is True and body["message"] and body["timestamp"]


def test_unknown_route_gets_the_404_envelope(client, auth):
    resp = client.get("/api/does-not-exist", headers=auth())
    body = resp.get_json()
    assert resp.status_code == 404
    assert body["success"] is False and body["error"] == "not_found" and body["requestId"]


def test_wrong_method_gets_405_with_allow(client, auth):
    resp = client.delete("/api/test", headers=auth())
    assert resp.status_code == 405 and resp.get_json()["error"] == "method_not_allowed"
    assert "GET" in resp.headers["Allow"]


def test_malformed_json_is_a_400_envelope(client, auth):
    resp = client.post("/api/testing/allocate", data="{nope", content_type="application/json", headers=auth())
    assert resp.status_code == 400
    assert resp.get_json()["success"] is False


def test_invalid_field_names_the_field(client, auth):
    resp = client.post("/api/testing/allocate", json={"mb": "lots"}, headers=auth())
    body = resp.get_json()
    assert resp.status_code == 400 and body["error"] == "invalid_input"
    assert "mb" in body["details"]


def test_too_large_body_is_413(make_app, auth):
    client = make_app(MAX_CONTENT_LENGTH=1024).test_client()
    resp = client.post("/api/testing/allocate", data="x" * 4096, content_type="application/json", headers=auth())
    assert resp.status_code == 413 and resp.get_json()["error"] == "payload_too_large"


def test_unexpected_error_leaks_nothing(app, auth):
    @app.route("/api/boom")
    def boom():
        raise RuntimeError("secret internals /etc/passwd")
    boom._required_role = None  # admin by default
    resp = app.test_client().get("/api/boom", headers=auth())
    assert resp.status_code == 500
    assert "secret" not in resp.get_data(as_text=True) and resp.get_json()["error"] == "internal_error"


def test_request_id_is_taken_from_the_caller_and_echoed(client, auth):
    resp = client.get("/api/test", headers={**auth("viewer"), "X-Correlation-ID": "abc-123"})
    assert resp.headers["X-Request-ID"] == "abc-123"
    unsafe = client.get("/api/test", headers={**auth("viewer"), "X-Request-ID": "bad id; drop table"})
    assert unsafe.headers["X-Request-ID"] != "bad id; drop table" and len(unsafe.headers["X-Request-ID"]) == 32


def test_security_headers_for_an_api(client, auth):
    resp = client.get("/api/test", headers=auth("viewer"))
    assert resp.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in resp.headers  # HSTS only in production


def test_probes_are_never_redirected_even_with_force_https(make_app):
    client = make_app(FORCE_HTTPS=True).test_client()
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/health/ready").status_code == 200
    assert client.get("/api/test").status_code == 302  # other routes do go to https


def test_cors_allows_configured_origin_preflight(client):
    resp = client.options("/api/test", headers={"Origin": "http://localhost:5173",
                                                "Access-Control-Request-Method": "GET",
                                                "Access-Control-Request-Headers": "Authorization"})
    assert resp.status_code == 200
    assert resp.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {}])
def test_cors_never_answers_other_origins(client, auth, headers):
    resp = client.get("/api/test", headers={**auth("viewer"), **headers})
    assert "Access-Control-Allow-Origin" not in resp.headers
    pre = client.options("/api/test", headers={**headers, "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in pre.headers


def test_cors_runs_only_for_requests_with_an_origin_and_keeps_its_answers(make_app, auth, monkeypatch):
    app = make_app(CORS_ORIGINS=["https://a.example", "https://b.example"])
    client = app.test_client()
    calls = []
    import flask_cors.core
    real = flask_cors.core.set_cors_headers
    monkeypatch.setattr(flask_cors.extension, "set_cors_headers",
                        lambda resp, options: calls.append(1) or real(resp, options))
    plain = client.get("/api/test", headers=auth("viewer"))
    assert calls == [] and not any(name.startswith("Access-Control-") for name in plain.headers.keys())
    assert "Origin" not in plain.headers.get("Vary", "")
    cross = client.get("/api/test", headers={**auth("viewer"), "Origin": "https://b.example"})
    assert calls == [1] and cross.headers["Access-Control-Allow-Origin"] == "https://b.example"
    assert "X-Request-ID" in cross.headers["Access-Control-Expose-Headers"]
    # Two origins configured: caches key on the Origin, as before.
    assert "Origin" in ",".join(cross.headers.getlist("Vary"))
    assert "Access-Control-Allow-Origin" not in client.get(
        "/api/test", headers={**auth("viewer"), "Origin": ""}).headers


def test_rate_limit_answers_429_envelope_with_headers(make_app, auth):
    client = make_app(RATE_LIMIT="3 per minute").test_client()
    statuses = [client.get("/api/test", headers=auth("viewer")).status_code for _ in range(3)]
    resp = client.get("/api/test", headers=auth("viewer"))
    assert statuses == [200, 200, 200]
    assert resp.status_code == 429 and resp.get_json()["error"] == "rate_limited"
    assert resp.headers["RateLimit-Limit"] == "3" and resp.headers["RateLimit-Remaining"] == "0"
    assert "Retry-After" in resp.headers
    assert client.get("/api/health").status_code == 200  # probes are exempt


def test_config_errors_name_each_bad_setting():
    with pytest.raises(ConfigError) as err:
        load_settings("production", {"PORT": "eighty", "API_TOKENS": "root:abc", "MAX_CONTENT_LENGTH": "lots"})
    text = str(err.value)
    for name in ("PORT", "API_TOKENS", "MAX_CONTENT_LENGTH", "SECRET_KEY"):
        assert name in text


def test_settings_read_sizes_lists_and_secrets_are_masked():
    settings = load_settings("development", {"MAX_WORKER_MEMORY": "512M", "CORS_ORIGINS": "https://a, https://b",
                                             "MAGENTO_URL": "https://shop", "MAGENTO_USERNAME": "u",
                                             "MAGENTO_PASSWORD": "hunter2"})
    assert settings.server.max_worker_memory == 512 * 1024 ** 2
    assert settings.http.cors_origins == ["https://a", "https://b"]
    assert settings.as_dict()["MAGENTO_PASSWORD"] == "****"


def test_an_empty_text_setting_is_a_value_but_an_empty_number_is_the_default():
    settings = load_settings("development", {"SYNC_SCHEDULE_STOCKS": "", "PORT": ""})
    assert settings.sync.schedule_stocks == "" and settings.server.port == 5000


def test_no_default_secret_key_outside_testing():
    # A default key would let anyone who reads this repository sign an admin token.
    assert load_settings("development", {}).auth.secret_key in (None, "")
