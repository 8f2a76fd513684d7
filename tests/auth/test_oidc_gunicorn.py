"""OIDC ID tokens through real Gunicorn workers: cold key server (503, other tokens fine), recovery, warm outage."""
from __future__ import annotations

import time

import httpx
import pytest

from tests.support.oidc_issuer import TestIssuer
from tests.support.servers import TOKENS, GunicornServer, wait_until

pytestmark = pytest.mark.slow


def _get(server: GunicornServer, token: str) -> httpx.Response:
    # Connection: close spreads the requests over both workers (each holds its own key cache)
    return httpx.get(server.base_url + "/api/test", timeout=10,
                     headers={"Authorization": f"Bearer {token}", "Connection": "close"})


def test_oidc_tokens_under_gunicorn_through_a_key_server_outage():
    issuer = TestIssuer().start()
    issuer.stop()  # cold: the workers start without ever having seen a key
    env = issuer.env(AUTH_OIDC_JWKS_RETRY="1", AUTH_OIDC_TIMEOUT="1", LOG_LEVEL="INFO")
    with GunicornServer(workers=2, env=env) as server:
        token = issuer.mint("alice@example.com")
        for _ in range(4):
            resp = _get(server, token)
            assert resp.status_code == 503 and resp.json()["details"] == {"dependency": "oidc_keys"}
            assert _get(server, TOKENS["viewer"]).status_code == 200  # API tokens do not care
        issuer.start()  # same port: the key server is back
        wait_until(lambda: all(_get(server, token).status_code == 200 for _ in range(6)), timeout=20)
        issuer.stop()  # warm: the keys the workers hold keep working
        ok = [_get(server, issuer.mint("alice@example.com")) for _ in range(10)]
        assert [r.status_code for r in ok] == [200] * 10
        assert all(r.headers["Cache-Control"] == "no-store" for r in ok)
        expired = issuer.mint("alice@example.com", iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
        refused = _get(server, expired)
        assert refused.status_code == 401 and refused.json()["details"] == {"reason": "token_expired"}
        log = server.log()
        assert "alice@example.com" in log and '"authKind": "oidc"' in log
        assert expired not in log and token not in log
