"""A local OIDC issuer for tests: RSA keys generated here, discovery and key set served over loopback HTTP,
ID tokens minted on demand (shaped like Firebase's)."""
from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

AUDIENCE = "techno-etl-test"


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class TestIssuer:
    """`with TestIssuer() as issuer:` serves /.well-known/openid-configuration and /jwks on 127.0.0.1."""

    __test__ = False  # not a pytest class

    def __init__(self, port: int = 0) -> None:
        self.keys: dict[str, Any] = {}  # kid -> private key, the published set
        self.kid = self.add_key()
        self.fetches = 0  # key set requests served
        self.available = True
        self._port = port
        self._server: ThreadingHTTPServer | None = None

    # -- keys -----------------------------------------------------------------------------------------
    def add_key(self, key: Any = None, kid: str | None = None) -> str:
        kid = kid or uuid.uuid4().hex[:16]
        self.keys[kid] = key or new_rsa_key()
        return kid

    def rotate(self) -> str:
        """Publish only a new key (the old one withdrawn); the new one signs from now on."""
        self.keys.clear()
        self.kid = self.add_key()
        return self.kid

    def jwks(self) -> dict[str, Any]:
        out = []
        for kid, key in self.keys.items():
            if isinstance(key, ec.EllipticCurvePrivateKey):
                jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
                jwk["alg"] = "ES256"
            else:
                jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
                jwk["alg"] = "RS256"
            out.append({**jwk, "kid": kid, "use": "sig"})
        return {"keys": out}

    # -- tokens ---------------------------------------------------------------------------------------
    def claims(self, email: str = "alice@example.com", **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": self.url, "aud": AUDIENCE, "sub": uuid.uuid4().hex, "iat": now, "exp": now + 3600,
                  "auth_time": now, "email": email, "email_verified": True}
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def mint(self, email: str = "alice@example.com", *, key: Any = None, kid: str | None = None,
             alg: str = "RS256", headers: dict[str, Any] | None = None, **claims: Any) -> str:
        kid = kid or self.kid
        signing_key = key if key is not None else self.keys[kid]
        return jwt.encode(self.claims(email, **claims), signing_key, algorithm=alg,
                          headers={"kid": kid, **(headers or {})})

    # -- HTTP -----------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self, **extra: Any) -> dict[str, Any]:
        """Settings overrides (as parsed values) that point the app at this issuer."""
        return {"AUTH_OIDC_ISSUER": self.url, "AUTH_OIDC_AUDIENCE": AUDIENCE,
                "AUTH_OIDC_ROLES": {"alice@example.com": "admin", "*@example.org": "operator"},
                "AUTH_OIDC_JWKS_RETRY": 0.0, **extra}

    def env(self, **extra: str) -> dict[str, str]:
        """The same as environment variables (for Gunicorn)."""
        return {"AUTH_OIDC_ISSUER": self.url, "AUTH_OIDC_AUDIENCE": AUDIENCE,
                "AUTH_OIDC_ROLES": "alice@example.com:admin,*@example.org:operator", **extra}

    def start(self) -> TestIssuer:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if not issuer.available:
                    self.send_error(503)
                    return
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks",
                            "id_token_signing_alg_values_supported": ["RS256"]}
                elif self.path == "/jwks":
                    issuer.fetches += 1
                    body = issuer.jwks()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._port = self.port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the listening socket: the key server is down (connection refused)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> TestIssuer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
