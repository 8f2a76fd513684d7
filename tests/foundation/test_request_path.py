"""The request path's short cuts (issue 17) answer what the long ways did: Talisman's HTTPS redirect and
HSTS, fixed security headers a view also set, the header-size limits, no cookie session, Vary on small
replies, hooks resolved once."""
from __future__ import annotations

import gc
import weakref

import pytest
from flask import Flask, Response, after_this_request, jsonify, session
from flask.views import MethodView

from app.application import Application
from app.middleware import HEADER_FIELD_LIMIT
from app.security import Role, require_role
from app.security_headers import CachedTalisman


@pytest.fixture
def talisman_app():
    app = Flask(__name__)
    CachedTalisman().init_app(app, force_https=True, strict_transport_security=True,
                              content_security_policy={"default-src": "'none'"})

    @app.get("/x")
    def x():
        return "ok"

    @app.get("/framed")
    def framed():
        return Response("ok", headers={"X-Frame-Options": "DENY"})
    return app


def test_plain_http_is_redirected_to_https_and_gets_no_hsts(talisman_app):
    resp = talisman_app.test_client().get("/x")
    assert resp.status_code == 302 and resp.headers["Location"] == "https://localhost/x"
    assert "Strict-Transport-Security" not in resp.headers


@pytest.mark.parametrize("how", ["scheme", "proxy header"])
def test_https_is_served_with_hsts_whether_direct_or_behind_a_proxy(talisman_app, how):
    client = talisman_app.test_client()
    if how == "scheme":
        resp = client.get("/x", base_url="https://localhost")
    else:
        resp = client.get("/x", headers={"X-Forwarded-Proto": "https"})
    assert resp.status_code == 200
    assert resp.headers["Strict-Transport-Security"] == "max-age=31556926; includeSubDomains"


def test_a_fixed_header_the_view_set_is_replaced_not_repeated(talisman_app):
    resp = talisman_app.test_client().get("/framed", base_url="https://localhost")
    # Talisman's policy (its default, SAMEORIGIN) replaces the view's, as Talisman's own code does
    assert resp.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert resp.headers["Content-Security-Policy"] == "default-src 'none'"


def test_every_fixed_header_is_sent_once(client, auth):
    resp = client.get("/api/test", headers=auth("viewer"))
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
                 "Permissions-Policy", "X-Request-ID", "RateLimit-Limit", "RateLimit-Remaining",
                 "RateLimit-Reset", "Vary", "Cache-Control"):
        assert len(resp.headers.getlist(name)) == 1, name
    assert resp.headers["Vary"] == "Accept-Encoding"  # a small reply: not compressed, still varies


def test_a_header_at_the_field_limit_passes_and_one_byte_more_is_a_431(client, auth):
    name = "X-Big"
    fits = client.get("/api/test", headers={**auth("viewer"), name: "b" * (HEADER_FIELD_LIMIT - len(name) - 2)})
    assert fits.status_code == 200
    over = client.get("/api/test", headers={**auth("viewer"), name: "b" * (HEADER_FIELD_LIMIT - len(name) - 1)})
    assert over.status_code == 431 and over.get_json()["error"] == "header_fields_too_large"


def test_a_content_type_over_the_field_limit_is_a_431(client, auth):
    resp = client.post("/api/test", headers={**auth("viewer"), "Content-Type": "a/" + "b" * HEADER_FIELD_LIMIT})
    assert resp.status_code == 431


def test_no_cookie_session_is_opened_or_sent(make_app, auth):
    app = make_app()

    @app.get("/api/testing/session-write")
    @require_role(Role.VIEWER)
    def session_write():
        session["x"] = 1  # bearer tokens only: there is no session to write to
        return jsonify(ok=True)

    client = app.test_client()
    resp = client.get("/api/test", headers=auth("viewer"))
    assert resp.status_code == 200 and "Set-Cookie" not in resp.headers
    assert client.get("/api/testing/session-write", headers=auth("viewer")).status_code == 500


def test_hooks_are_resolved_once_per_function_and_async_views_still_refused_without_asgiref():
    app = Application(__name__)

    def hook() -> None:
        return None

    assert app.ensure_sync(hook) is hook and app.ensure_sync(hook) is hook
    assert list(app._sync_functions) == [hook]

    async def coroutine_view() -> str:
        return "x"

    try:
        wrapped = app.ensure_sync(coroutine_view)
    except RuntimeError as exc:  # Flask's own answer when asgiref is missing
        assert "async" in str(exc).lower()
    else:
        assert wrapped is not coroutine_view
    assert coroutine_view not in app._sync_functions


def test_callables_made_per_request_are_not_kept_alive():
    # A MethodView's bound method and after_this_request closures are new objects on every request.
    app = Application(__name__)
    alive: list[weakref.ref[object]] = []

    class Heavy(MethodView):
        def get(self) -> str:
            alive.append(weakref.ref(self))
            return "ok"

    app.add_url_rule("/heavy", view_func=Heavy.as_view("heavy"))

    @app.get("/later")
    def later() -> str:
        payload = bytearray(1024)

        @after_this_request
        def keep(response: Response) -> Response:
            response.headers["X-Size"] = str(len(payload))
            return response

        alive.append(weakref.ref(keep))
        return "ok"

    client = app.test_client()
    for _ in range(20):
        assert client.get("/heavy").status_code == 200
        assert client.get("/later").headers["X-Size"] == "1024"
    gc.collect()
    assert sum(ref() is not None for ref in alive) == 0
    assert len(app._sync_functions) < 10


def test_an_empty_vary_is_replaced_not_repeated(make_app, auth):
    app = make_app()

    @app.get("/api/testing/empty-vary")
    @require_role(Role.VIEWER)
    def empty_vary():
        return Response("{}", mimetype="application/json", headers={"Vary": ""})

    resp = app.test_client().get("/api/testing/empty-vary", headers=auth("viewer"))
    assert resp.headers.getlist("Vary") == ["Accept-Encoding"]  # what flask-compress itself sends


def test_a_websocket_scheme_counts_as_secure_for_hsts(talisman_app):
    resp = talisman_app.test_client().get("/x", base_url="wss://localhost")
    assert "Strict-Transport-Security" in resp.headers
