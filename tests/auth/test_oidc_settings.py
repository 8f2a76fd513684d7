"""AUTH_OIDC_* settings are validated at start; the key cache's refresh rules; the JWT sniffing."""
from __future__ import annotations

import json

import httpx
import pytest

from app.adapters.oidc_keys import KeyCache, KeyFetcher, KeySourceConfig, KeySourceUnavailable, NoSigningKeys
from app.services.oidc import RoleMap, jwt_header
from config.settings import ConfigError, load_settings
from tests.support.oidc_issuer import TestIssuer

BASE = {"AUTH_OIDC_ISSUER": "https://securetoken.google.com/techno-etl", "AUTH_OIDC_AUDIENCE": "techno-etl",
        "AUTH_OIDC_ROLES": "alice@example.com:admin,*@Example.org:viewer"}


def load(env: str = "testing", **environ: str):
    return load_settings(env, environ={**BASE, **environ})


def problems(env: str = "testing", **environ: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(env, **environ)
    return str(info.value)


def test_valid_oidc_settings_parse():
    settings = load()
    assert settings.auth.oidc_roles == {"alice@example.com": "admin", "*@example.org": "viewer"}
    assert settings.auth.oidc_default_role == "" and settings.auth.oidc_jwks_url == ""
    assert load_settings("testing", environ={}).auth.oidc_issuer == ""  # off by default


@pytest.mark.parametrize("environ, needle", [
    ({"AUTH_OIDC_AUDIENCE": ""}, "AUTH_OIDC_AUDIENCE: required"),
    ({"AUTH_OIDC_ISSUER": "http://idp.example.com"}, "AUTH_OIDC_ISSUER: must use https"),
    ({"AUTH_OIDC_ISSUER": "securetoken.google.com/x"}, "AUTH_OIDC_ISSUER: must be an absolute https"),
    ({"AUTH_OIDC_JWKS_URL": "ftp://keys.example.com/jwks"}, "AUTH_OIDC_JWKS_URL"),
    ({"AUTH_OIDC_ROLES": "alice@example.com:root"}, "AUTH_OIDC_ROLES: unknown role"),
    ({"AUTH_OIDC_ROLES": "alice:admin"}, "AUTH_OIDC_ROLES: 'alice' is neither"),
    ({"AUTH_OIDC_ROLES": "*@*:admin"}, "AUTH_OIDC_ROLES"),
    ({"AUTH_OIDC_ROLES": "", "AUTH_OIDC_DEFAULT_ROLE": ""}, "no ID token gets a role"),
    ({"AUTH_OIDC_DEFAULT_ROLE": "superuser"}, "AUTH_OIDC_DEFAULT_ROLE"),
    ({"AUTH_OIDC_ISSUER": "", "AUTH_OIDC_AUDIENCE": "x"}, "AUTH_OIDC_AUDIENCE: set but AUTH_OIDC_ISSUER is empty"),
    ({"AUTH_OIDC_TIMEOUT": "0"}, "AUTH_OIDC_TIMEOUT: must be above 0"),
])
def test_bad_oidc_settings_stop_the_start_with_a_clear_line(environ, needle):
    assert needle in problems(**environ)


def test_plain_http_issuer_only_on_loopback_and_never_in_production():
    assert load(AUTH_OIDC_ISSUER="http://127.0.0.1:9999").auth.oidc_issuer == "http://127.0.0.1:9999"
    assert load("development", AUTH_OIDC_ISSUER="http://localhost:9999").auth.oidc_issuer
    prod = {"SECRET_KEY": "x" * 32, "AUTH_OIDC_ISSUER": "http://127.0.0.1:9999"}
    assert "AUTH_OIDC_ISSUER: must use https" in problems("production", **prod)


def test_role_map_prefers_the_exact_email_then_the_domain_then_the_default():
    roles = RoleMap({"boss@example.org": "admin", "*@example.org": "viewer"}, default="")
    assert roles.role_for("Boss@Example.ORG") == "admin"
    assert roles.role_for("anyone@example.org") == "viewer"
    assert roles.role_for("anyone@sub.example.org") is None
    assert roles.role_for(None) is None
    assert RoleMap({}, default="viewer").role_for("x@y.z") == "viewer"


def test_jwt_header_tells_id_tokens_from_other_bearer_values():
    with TestIssuer() as issuer:
        assert jwt_header(issuer.mint())["kid"] == issuer.kid
    from app.security import Role, issue_access_token
    assert jwt_header(issue_access_token("alice", Role.ADMIN, "s" * 32)) is None
    for value in ("test-admin-token", "a.b.c", "eyJ.eyJ.x", "eyJhbGciOiJSUzI1NiJ9.e30", "x" * 10_000):
        assert jwt_header(value) is None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_key_cache_refreshes_after_its_ttl_and_keeps_keys_when_a_fetch_fails():
    with TestIssuer() as issuer:
        fetcher = KeyFetcher(KeySourceConfig(issuer.url, "", timeout=2.0, allow_loopback_http=True))
        clock = Clock()
        cache = KeyCache(fetcher.fetch, ttl=100, min_interval=10, clock=clock)
        assert cache.key_for(issuer.kid) is not None and issuer.fetches == 1
        clock.now += 50
        assert cache.key_for(issuer.kid) is not None and issuer.fetches == 1  # fresh: no fetch
        clock.now += 60
        new = issuer.rotate()
        assert cache.key_for(new) is not None and issuer.fetches == 2  # TTL over: fetched again
        issuer.available = False
        clock.now += 200
        assert cache.key_for(new) is not None  # stale but kept: the key server answers 503
        fetcher.close()


def test_key_cache_without_keys_raises_no_signing_keys_and_retries_only_after_the_interval():
    calls = []

    def failing():
        calls.append(1)
        raise KeySourceUnavailable("down")
    clock = Clock()
    cache = KeyCache(failing, ttl=100, min_interval=10, clock=clock)
    for _ in range(5):
        with pytest.raises(NoSigningKeys):
            cache.key_for("k")
    assert len(calls) == 1
    clock.now += 11
    with pytest.raises(NoSigningKeys):
        cache.key_for("k")
    assert len(calls) == 2


def _fetcher(handler, issuer: str = "https://idp.example.com", jwks_url: str = "") -> KeyFetcher:
    return KeyFetcher(KeySourceConfig(issuer, jwks_url, timeout=1.0), transport=httpx.MockTransport(handler))


def test_discovery_must_name_the_configured_issuer_and_an_https_key_url():
    def handler(doc):
        return lambda request: httpx.Response(200, json=doc)
    with pytest.raises(KeySourceUnavailable, match="another issuer"):
        _fetcher(handler({"issuer": "https://evil.example.com", "jwks_uri": "https://idp.example.com/k"})).fetch()
    with pytest.raises(KeySourceUnavailable, match="jwks_uri must use https"):
        _fetcher(handler({"issuer": "https://idp.example.com", "jwks_uri": "http://idp.example.com/k"})).fetch()


def test_oversized_or_malformed_key_sets_are_refused():
    big = httpx.Response(200, content=b'{"keys": [' + b" " * 300_000 + b"]}")
    with pytest.raises(KeySourceUnavailable, match="more than"):
        _fetcher(lambda r: big, jwks_url="https://idp.example.com/k").fetch()
    for body in (b"not json", b'{"keys": []}', b'{"keys": [{"kty": "RSA", "kid": "a", "n": "x"}]}', b"[]"):
        with pytest.raises(KeySourceUnavailable):
            _fetcher(lambda r, b=body: httpx.Response(200, content=b), jwks_url="https://idp.example.com/k").fetch()
    symmetric = json.dumps({"keys": [{"kty": "oct", "kid": "a", "k": "c2VjcmV0", "use": "sig"}]}).encode()
    with pytest.raises(KeySourceUnavailable):  # a symmetric key in the set is never a signing key of ours
        _fetcher(lambda r: httpx.Response(200, content=symmetric), jwks_url="https://idp.example.com/k").fetch()
