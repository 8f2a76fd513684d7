"""OIDC ID tokens through the real Flask app against a local issuer served over loopback HTTP."""
from __future__ import annotations

import base64
import json
import logging
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from config.current import get_settings
from tests.support.oidc_issuer import TestIssuer, new_rsa_key
from tests.support.servers import TOKENS


@pytest.fixture
def issuer():
    with TestIssuer() as issuer:
        yield issuer


@pytest.fixture
def oidc_app(make_app, issuer, tmp_path, monkeypatch):
    """An app trusting `issuer`; `constants` patches app.services.oidc's constants (LEEWAY, JWKS_TTL, CACHE_SIZE)
    for this app and the ones the test builds after it."""
    import app.services.oidc as oidc_service

    def factory(constants: dict[str, float] | None = None, **extra):
        for name, value in (constants or {}).items():
            monkeypatch.setattr(oidc_service, name, value)
        return make_app(APP_DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite3'}", RATE_LIMIT_ENABLED=False,
                        **issuer.settings(**extra))
    return factory


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refused(resp, reason: str) -> None:
    assert resp.status_code == 401, resp.get_json()
    body = resp.get_json()
    assert body["error"] == "unauthorized" and body["details"] == {"reason": reason}
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert resp.headers["Cache-Control"] == "no-store"


def test_a_valid_id_token_gets_its_mapped_role(oidc_app, issuer):
    client = oidc_app().test_client()
    admin = client.get("/api/test", headers=bearer(issuer.mint("Alice@Example.com")))
    assert admin.status_code == 200, admin.get_json()
    assert admin.headers["Cache-Control"] == "no-store"
    # *@example.org maps to operator: an operator route is allowed, an admin one is not
    op = bearer(issuer.mint("carol@example.org"))
    assert client.post("/api/testing/upload", headers=op, data={}).status_code == 400  # past auth: bad form
    forbidden = client.post("/api/testing/allocate", headers=op, json={"mb": 1})
    assert forbidden.status_code == 403 and forbidden.get_json()["error"] == "forbidden"


def test_domain_pattern_does_not_match_a_subdomain_or_a_lookalike(oidc_app, issuer):
    client = oidc_app().test_client()
    for email in ("eve@evil.example.org", "eve@example.org.evil.com", "eve@example.com"):
        refused(client.get("/api/test", headers=bearer(issuer.mint(email))), "no_role")


def test_default_role_applies_to_unlisted_verified_users_and_empty_means_no_access(oidc_app, issuer):
    token = bearer(issuer.mint("stranger@elsewhere.net"))
    refused(oidc_app().test_client().get("/api/test", headers=token), "no_role")
    viewer_app = oidc_app(AUTH_OIDC_DEFAULT_ROLE="viewer").test_client()
    assert viewer_app.get("/api/test", headers=token).status_code == 200
    assert viewer_app.post("/api/testing/allocate", headers=token, json={"mb": 1}).status_code == 403
    no_email = bearer(issuer.mint(email=None, email_verified=None))
    assert viewer_app.get("/api/test", headers=no_email).status_code == 200  # the default role, by subject


@pytest.mark.parametrize("claims, reason", [
    ({"aud": "another-project"}, "token_invalid"),
    ({"aud": ["another-project", "x"]}, "token_invalid"),
    ({"iss": "https://securetoken.google.com/another-project"}, "token_invalid"),
    ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "token_expired"),
    ({"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200}, "token_not_yet_valid"),
    ({"nbf": int(time.time()) + 3600}, "token_not_yet_valid"),
    ({"email_verified": False}, "email_unverified"),
    ({"email_verified": None}, "email_unverified"),
    ({"exp": None}, "token_invalid"),
    ({"sub": ""}, "token_invalid"),
], ids=["wrong-audience", "wrong-audience-list", "wrong-issuer", "expired", "issued-in-future", "not-before",
        "email-unverified", "email-verified-missing", "no-exp", "empty-sub"])
def test_bad_claims_are_refused_with_a_reason(oidc_app, issuer, claims, reason):
    client = oidc_app().test_client()
    refused(client.get("/api/test", headers=bearer(issuer.mint(**claims))), reason)


def test_the_leeway_absorbs_small_clock_skew(oidc_app, issuer):
    now = int(time.time())
    token = issuer.mint(iat=now + 20, exp=now - 20 + 3600, nbf=now + 20)
    client = oidc_app().test_client()
    assert client.get("/api/test", headers=bearer(token)).status_code == 200
    expired = issuer.mint(iat=now - 3600, exp=now - 30)
    assert client.get("/api/test", headers=bearer(expired)).status_code == 200
    strict_client = oidc_app(constants={"LEEWAY": 0.0}).test_client()
    refused(strict_client.get("/api/test", headers=bearer(expired)), "token_expired")


def test_a_token_signed_by_another_key_with_the_published_kid_is_refused(oidc_app, issuer):
    forged = issuer.mint(key=new_rsa_key(), kid=issuer.kid)
    refused(oidc_app().test_client().get("/api/test", headers=bearer(forged)), "token_invalid")


def test_a_tampered_payload_is_refused(oidc_app, issuer):
    head, payload, sig = issuer.mint("carol@example.org").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["email"] = "alice@example.com"
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    refused(oidc_app().test_client().get("/api/test", headers=bearer(f"{head}.{payload}.{sig}")), "token_invalid")


def test_alg_none_is_refused(oidc_app, issuer):
    unsigned = jwt.encode(issuer.claims(), None, algorithm="none", headers={"kid": issuer.kid})
    assert unsigned.count(".") == 2 and unsigned.endswith(".")
    refused(oidc_app().test_client().get("/api/test", headers=bearer(unsigned)), "token_invalid")


def test_hs256_signed_with_the_public_key_as_secret_is_refused(oidc_app, issuer):
    public_pem = issuer.keys[issuer.kid].public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    # PyJWT refuses to sign HS256 with a PEM key, so the classic confusion token is built by hand
    import hashlib
    import hmac
    header = {"alg": "HS256", "typ": "JWT", "kid": issuer.kid}

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(issuer.claims()).encode())}"
    sig = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    refused(oidc_app().test_client().get("/api/test", headers=bearer(f"{signing_input}.{b64(sig)}")), "token_invalid")


def test_a_token_naming_an_unknown_kid_is_refused(oidc_app, issuer):
    other = new_rsa_key()
    refused(oidc_app().test_client().get("/api/test", headers=bearer(issuer.mint(key=other, kid="nope"))),
            "token_invalid")


def test_es256_keys_are_accepted(oidc_app, issuer):
    kid = issuer.add_key(ec.generate_private_key(ec.SECP256R1()))
    token = issuer.mint(kid=kid, alg="ES256")
    assert oidc_app().test_client().get("/api/test", headers=bearer(token)).status_code == 200


def test_rotation_to_a_newly_published_key_is_picked_up(oidc_app, issuer):
    client = oidc_app(AUTH_OIDC_JWKS_RETRY=0.0).test_client()
    assert client.get("/api/test", headers=bearer(issuer.mint())).status_code == 200
    fetches = issuer.fetches
    issuer.rotate()
    assert client.get("/api/test", headers=bearer(issuer.mint())).status_code == 200
    assert issuer.fetches == fetches + 1


def test_unknown_kids_refetch_the_key_set_at_most_once_per_interval(oidc_app, issuer):
    client = oidc_app(AUTH_OIDC_JWKS_RETRY=3600.0).test_client()
    assert client.get("/api/test", headers=bearer(issuer.mint())).status_code == 200
    fetches = issuer.fetches
    stranger = new_rsa_key()
    for n in range(20):  # a flood of made-up kids costs the key server nothing
        refused(client.get("/api/test", headers=bearer(issuer.mint(key=stranger, kid=f"made-up-{n}"))),
                "token_invalid")
    assert issuer.fetches == fetches
    issuer.rotate()
    refused(client.get("/api/test", headers=bearer(issuer.mint())), "token_invalid")  # until the interval ends
    assert issuer.fetches == fetches


def test_key_server_down_with_warm_keys_keeps_working(oidc_app, issuer):
    client = oidc_app(constants={"JWKS_TTL": 0.0}, AUTH_OIDC_JWKS_RETRY=0.0).test_client()
    assert client.get("/api/test", headers=bearer(issuer.mint())).status_code == 200
    issuer.stop()
    # the TTL has run out, every request tries again and fails: the cached keys still verify
    for _ in range(3):
        assert client.get("/api/test", headers=bearer(issuer.mint())).status_code == 200


def test_key_server_answering_errors_with_warm_keys_keeps_working(oidc_app, issuer):
    client = oidc_app(constants={"JWKS_TTL": 0.0}, AUTH_OIDC_JWKS_RETRY=0.0).test_client()
    assert client.get("/api/test", headers=bearer(issuer.mint())).status_code == 200
    issuer.available = False
    assert client.get("/api/test", headers=bearer(issuer.mint())).status_code == 200


def test_key_server_down_cold_gives_503_to_oidc_and_other_tokens_still_work(oidc_app, issuer, app):
    token = issuer.mint()
    issuer.stop()
    flask_app = oidc_app()
    client = flask_app.test_client()
    resp = client.get("/api/test", headers=bearer(token))
    assert resp.status_code == 503, resp.get_json()
    body = resp.get_json()
    assert body["error"] == "dependency_unavailable" and body["details"] == {"dependency": "oidc_keys"}
    assert resp.headers["Retry-After"] and resp.headers["Cache-Control"] == "no-store"
    assert client.get("/api/test", headers=bearer(TOKENS["viewer"])).status_code == 200
    from app.security import Role, issue_access_token
    login = issue_access_token("bob", Role.VIEWER, get_settings(flask_app).auth.secret_key)
    assert client.get("/api/test", headers=bearer(login)).status_code == 200
    # once the key server is back, the next fetch (after AUTH_OIDC_JWKS_RETRY) loads the keys
    issuer.start()
    assert client.get("/api/test", headers=bearer(issuer.mint())).status_code == 200


def test_oidc_tokens_are_refused_when_oidc_is_off(app, issuer):
    refused(app.test_client().get("/api/test", headers=bearer(issuer.mint())), "token_invalid")


def test_login_tokens_and_api_tokens_keep_their_meaning_beside_oidc(oidc_app, issuer):
    flask_app = oidc_app()
    client = flask_app.test_client()
    from app.security import Role, issue_access_token
    login = issue_access_token("bob", Role.OPERATOR, get_settings(flask_app).auth.secret_key)
    assert login.count(".") == 2  # same shape as a JWT: told apart by the header, not the dots
    assert client.get("/api/test", headers=bearer(login)).status_code == 200
    refused(client.get("/api/test", headers=bearer(login[:-2] + "xx")), "token_invalid")
    refused(client.get("/api/test", headers=bearer("eyJhbGciOiJSUzI1NiJ9.e30.x")), "token_invalid")
    refused(client.get("/api/test"), "token_missing")
    assert issuer.fetches == 0  # nothing above was mistaken for an ID token worth a key fetch


def test_the_oidc_identity_is_the_voter_and_is_in_the_log(oidc_app, issuer, caplog):
    client = oidc_app().test_client()
    alice = bearer(issuer.mint("Alice@Example.com"))
    feature = client.post("/api/task/features", json={"title": "Sign in with Google"}, headers=alice)
    assert feature.status_code == 201, feature.get_json()
    fid = feature.get_json()["data"]["id"]
    with caplog.at_level(logging.INFO, logger="techno_etl.access"):
        assert client.post(f"/api/task/features/{fid}/vote", json={"vote_type": "upvote", "user_id": "mallory"},
                           headers=alice).status_code == 200
    votes = client.get("/api/task/user-votes", headers=alice).get_json()["data"]
    assert votes, votes
    comment = client.post(f"/api/task/features/{fid}/comments", json={"comment": "yes"}, headers=alice).get_json()
    assert comment["data"]["user_id"] == "alice@example.com"
    line = next(r for r in caplog.records if r.name == "techno_etl.access" and "/vote" in r.getMessage())
    assert line.identity == "alice@example.com" and line.authKind == "oidc"
    assert "alice@example.com" in line.getMessage()


def test_a_refusal_log_line_names_no_secret(oidc_app, issuer, caplog):
    client = oidc_app().test_client()
    token = issuer.mint("stranger@elsewhere.net")
    with caplog.at_level(logging.INFO):
        refused(client.get("/api/test", headers=bearer(token)), "no_role")
    text = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert token not in text and token.split(".")[2] not in text
    access = next(r for r in caplog.records if r.name == "techno_etl.access")
    assert access.authRefused == "no_role" and access.identity == "stranger@elsewhere.net"


def test_oversized_and_garbage_bearer_values_are_a_401_never_a_500(oidc_app, issuer):
    client = oidc_app().test_client()
    for value in ("eyJ" + "A" * 8100 + ".e30.x", "eyJhbGciOi.!!!.x", "a.b.c", "eyJ9.eyJ9.eyJ9",
                  base64.urlsafe_b64encode(b'{"alg":"RS256","kid":5}').decode().rstrip("=") + ".e30.x",
                  base64.urlsafe_b64encode(b'["alg"]').decode().rstrip("=") + ".e30.x"):
        resp = client.get("/api/test", headers=bearer(value))
        assert resp.status_code == 401, (value[:40], resp.status_code)
    # Past the header-field limit the request never reaches the token check: the 431 envelope.
    resp = client.get("/api/test", headers=bearer("eyJ" + "A" * 9000 + ".e30.x"))
    assert resp.status_code == 431 and resp.get_json()["error"] == "header_fields_too_large"


def test_a_remembered_token_stops_working_at_its_exp(oidc_app, issuer):
    client = oidc_app(constants={"LEEWAY": 0.0}).test_client()
    token = bearer(issuer.mint(exp=int(time.time()) + 2))
    assert client.get("/api/test", headers=token).status_code == 200
    assert client.get("/api/test", headers=token).status_code == 200  # from the verified-token cache
    time.sleep(3)
    refused(client.get("/api/test", headers=token), "token_expired")


def test_a_remembered_token_stops_working_when_its_key_is_withdrawn(oidc_app, issuer):
    client = oidc_app(constants={"JWKS_TTL": 0.0}, AUTH_OIDC_JWKS_RETRY=0.0).test_client()
    token = bearer(issuer.mint())
    assert client.get("/api/test", headers=token).status_code == 200
    assert client.get("/api/test", headers=token).status_code == 200
    issuer.rotate()  # the old key is no longer published
    refused(client.get("/api/test", headers=token), "token_invalid")
    assert client.get("/api/test", headers=bearer(issuer.mint())).status_code == 200


def test_the_verified_token_cache_skips_the_signature_check(oidc_app, issuer, monkeypatch):
    flask_app = oidc_app()
    client = flask_app.test_client()
    token = bearer(issuer.mint())
    assert client.get("/api/test", headers=token).status_code == 200
    import app.services.oidc as oidc_service
    monkeypatch.setattr(oidc_service.jwt, "decode", lambda *a, **k: pytest.fail("signature checked again"))
    assert client.get("/api/test", headers=token).status_code == 200
    no_cache = oidc_app(constants={"CACHE_SIZE": 0}).test_client()
    with pytest.raises(pytest.fail.Exception):
        no_cache.get("/api/test", headers=token)


def test_every_log_line_of_an_authenticated_request_names_the_caller(app):
    from flask import g

    from app.logging import ContextFilter
    from app.security import Principal, Role
    context = ContextFilter("testing")
    with app.test_request_context("/api/test"):
        outside = logging.makeLogRecord({"msg": "before auth"})
        context.filter(outside)
        g.principal = Principal(subject="alice@example.com", role=Role.VIEWER, kind="oidc")
        inside = logging.makeLogRecord({"msg": "a service line"})
        context.filter(inside)
    assert not hasattr(outside, "identity") and inside.identity == "alice@example.com"
