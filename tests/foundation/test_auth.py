"""Every route needs a token except the two probes (and static page shells); roles are enforced."""
from __future__ import annotations

import re

from app.security import PUBLIC, Role, issue_access_token, required_role_for
from config.current import get_settings

# Static shells hold no data: their scripts ask for a token before calling any API.
PUBLIC_RULES = {"/api/health", "/api/health/ready", "/api-docs", "/api-docs/assets/<path:filename>",
                "/ops", "/ops/assets/<path:filename>",
                # The two login routes: a caller without a token must be able to get one. They are
                # rate-limited (LOGIN_RATE_LIMIT) and never send a wrong password for the integration user to Magento.
                "/api/auth/login", "/api/magento/integration/admin/token"}
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")


def _url(rule) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule)


def _walk(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in sorted(set(rule.methods) & set(METHODS)):
            yield rule, method, required_role_for(view, method)


def test_only_the_probes_and_page_shells_are_public(app):
    public = {rule.rule for rule, _, role in _walk(app) if role == PUBLIC}
    assert public <= PUBLIC_RULES
    assert {"/api/health", "/api/health/ready"} <= public


def test_every_other_route_answers_401_without_a_token(app):
    client = app.test_client()
    for rule, method, role in _walk(app):
        if role == PUBLIC:
            continue
        resp = client.open(_url(rule), method=method)
        assert resp.status_code == 401, f"{method} {rule.rule} answered {resp.status_code} without a token"
        assert resp.get_json()["error"] == "unauthorized"
        bad = client.open(_url(rule), method=method, headers={"Authorization": "Bearer not-a-token"})
        assert bad.status_code == 401, f"{method} {rule.rule} accepted a bad token"


def test_a_too_low_role_gets_403(app, auth):
    client = app.test_client()
    checked = 0
    for rule, method, role in _walk(app):
        if role == PUBLIC or role == Role.VIEWER:
            continue
        resp = client.open(_url(rule), method=method, headers=auth("viewer"))
        assert resp.status_code == 403, f"{method} {rule.rule} let a viewer through ({resp.status_code})"
        checked += 1
    assert checked >= 1


def test_login_tokens_are_accepted_until_they_expire(make_app):
    app = make_app(ACCESS_TOKEN_TTL=60)
    token = issue_access_token("alice", Role.VIEWER, get_settings(app).auth.secret_key)
    client = app.test_client()
    assert client.get("/api/test", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    expired = make_app(ACCESS_TOKEN_TTL=0).test_client()
    import time
    time.sleep(1.1)
    assert expired.get("/api/test", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get("/api/test", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_a_login_token_is_checked_once_per_process_and_refused_once_expired(make_app, monkeypatch):
    import time

    from itsdangerous import URLSafeTimedSerializer

    app = make_app(ACCESS_TOKEN_TTL=2)
    token = issue_access_token("alice", Role.VIEWER, get_settings(app).auth.secret_key)
    checks = []
    real_loads = URLSafeTimedSerializer.loads
    monkeypatch.setattr(URLSafeTimedSerializer, "loads",
                        lambda self, *a, **k: checks.append(1) or real_loads(self, *a, **k))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert [client.get("/api/test", headers=headers).status_code for _ in range(3)] == [200] * 3
    assert len(checks) == 1  # the signature was checked once; the next calls hit the cache
    time.sleep(3.1)
    refused = client.get("/api/test", headers=headers)
    assert refused.status_code == 401 and refused.get_json()["details"]["reason"] == "token_expired"
