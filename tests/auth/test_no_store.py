"""Authenticated responses carry `Cache-Control: no-store` on every route; public reads may be cached."""
from __future__ import annotations

from flask import Response, jsonify

from app.security import PUBLIC, Role, require_role
from tests.foundation.test_auth import _url, _walk
from tests.magento_api.conftest import SANDBOX_SETTINGS


def test_every_protected_route_answers_no_store_whatever_the_outcome(make_app, sandbox_url, auth):
    app = make_app(MAGENTO_URL=sandbox_url, RATE_LIMIT_ENABLED=False, **SANDBOX_SETTINGS)
    client = app.test_client()
    seen = {"GET 2xx": 0, "401": 0, "403": 0}
    for rule, method, role in _walk(app):
        if role == PUBLIC:
            continue
        url = _url(rule)
        anonymous = client.open(url, method=method)
        assert anonymous.headers.get("Cache-Control") == "no-store", f"{method} {rule.rule} (401)"
        seen["401"] += 1
        if role != Role.VIEWER:
            low = client.open(url, method=method, headers=auth("viewer"))
            assert low.status_code == 403 and low.headers.get("Cache-Control") == "no-store", f"{method} {rule.rule}"
            seen["403"] += 1
        if method == "GET":  # reads are safe to replay with a token: the real answer, 2xx or not
            resp = client.get(url, headers=auth("admin"))
            assert resp.headers.get("Cache-Control") == "no-store", f"GET {rule.rule} ({resp.status_code})"
            seen["GET 2xx"] += resp.status_code < 300
    assert seen["GET 2xx"] >= 20 and seen["403"] >= 10, seen


def test_login_answers_are_not_stored_and_probes_keep_their_own_policy(app):
    client = app.test_client()
    for path in ("/api/auth/login", "/api/magento/integration/admin/token"):  # public, but they answer tokens
        login = client.post(path, json={"username": "nobody"})
        assert login.status_code == 400 and login.headers["Cache-Control"] == "no-store"
    assert client.get("/api/health/ready").headers["Cache-Control"] == "no-store"  # its own choice
    assert client.get("/ops").headers["Cache-Control"] == "no-cache"  # a public page shell, revalidated
    assert client.get("/no/such/url").headers["Cache-Control"] == "no-store"


def test_an_upstream_cache_header_never_survives_on_an_authenticated_response(make_app, auth):
    app = make_app()

    @require_role(Role.VIEWER)
    def cached_upstream() -> Response:
        resp = jsonify({"price": 1})
        resp.headers["Cache-Control"] = "public, max-age=600"  # as a passed-through Magento header would
        return resp
    app.add_url_rule("/api/probe-cache", view_func=cached_upstream)
    resp = app.test_client().get("/api/probe-cache", headers=auth("viewer"))
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
