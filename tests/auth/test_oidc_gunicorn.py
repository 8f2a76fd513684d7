"""OIDC ID tokens through real Gunicorn workers: cold key server (503, other tokens fine), recovery, warm outage."""
from __future__ import annotations

import json
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


def _workers_with_keys(server: GunicornServer) -> set[int]:
    lines = [line for line in server.log().splitlines() if line.startswith("{") and "OIDC key set loaded" in line]
    return {json.loads(line)["pid"] for line in lines}


def test_oidc_tokens_under_gunicorn_through_a_key_server_outage():
    issuer = TestIssuer().start()
    issuer.stop()  # cold: the workers start without ever having seen a key
    env = issuer.env(AUTH_OIDC_JWKS_RETRY="1", AUTH_OIDC_TIMEOUT="1", LOG_LEVEL="INFO")
    server = GunicornServer(workers=2, env=env).start(timeout=90)  # generous: the 2-core box is often loaded
    try:
        token = issuer.mint("alice@example.com")
        for _ in range(4):
            resp = _get(server, token)
            assert resp.status_code == 503 and resp.json()["details"] == {"dependency": "oidc_keys"}, resp.text
            assert _get(server, TOKENS["viewer"]).status_code == 200  # API tokens do not care
        issuer.start()  # same port: the key server is back
        # until both workers have loaded the keys (a worker that never fetched them would be cold below)
        wait_until(lambda: _get(server, token).status_code == 200 and len(_workers_with_keys(server)) == 2,
                   timeout=60)
        issuer.stop()  # warm: the keys the workers hold keep working
        ok = [_get(server, issuer.mint("alice@example.com")) for _ in range(10)]
        assert [r.status_code for r in ok] == [200] * 10, [r.text for r in ok if r.status_code != 200][:2]
        assert all(r.headers["Cache-Control"] == "no-store" for r in ok)
        expired = issuer.mint("alice@example.com", iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
        refused = _get(server, expired)
        assert refused.status_code == 401 and refused.json()["details"] == {"reason": "token_expired"}, refused.text
        log = server.log()
        assert "alice@example.com" in log and '"authKind": "oidc"' in log, log[-3000:]
        assert expired not in log and token not in log
    finally:
        server.__exit__(None, None, None)
