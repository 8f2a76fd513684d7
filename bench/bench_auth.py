"""Benchmark of bearer-token checks: an OIDC ID token (warm key cache) against an API token, same run.

Run:  .venv/bin/python bench/bench_auth.py [--iterations 5000]

Keys come from a local test issuer over loopback HTTP (tests/support/oidc_issuer.py); after the first
token the key cache is warm, so what is measured is the per-request cost: JOSE header sniffing, the
API-token hash loop every token goes through first, PyJWT's signature and claim checks, the role lookup.
Reports per-check microseconds (p50, p95) for
- an API token (the baseline), a login token (itsdangerous), an RS256 and an ES256 ID token, each
  with the verified-token LRU off (every request checks the signature) and on (app/services/oidc.py CACHE_SIZE);
- a whole GET /api/test through the Flask test client with an API token and with an RS256 ID token,
each with its ratio to the baseline measured in the same run.
"""
from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="bench-auth-metrics-"))

from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from app import create_app  # noqa: E402
from app.security import Role, authenticate, issue_access_token  # noqa: E402
from app.services.oidc import VerifiedTokens  # noqa: E402
from config.current import get_settings
from config.parsers import _tokens  # noqa: E402
from tests.support.oidc_issuer import TestIssuer  # noqa: E402
from tests.support.servers import TOKENS, api_tokens_env  # noqa: E402


def measure(fn: Callable[[], object], iterations: int) -> tuple[float, float]:
    for _ in range(max(20, iterations // 20)):
        fn()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples), statistics.quantiles(samples, n=100)[94]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=5000)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-auth-"))
    with TestIssuer() as issuer:
        es_kid = issuer.add_key(ec.generate_private_key(ec.SECP256R1()))
        app = create_app("testing", overrides={
            "API_TOKENS": _tokens(api_tokens_env()), "RATE_LIMIT_ENABLED": False, "LOG_FILES": False,
            "APP_DATABASE_URL": f"sqlite:///{tmp / 'app.sqlite3'}",
            "MDM_DATABASE_URL": f"sqlite:///{tmp / 'mdm.sqlite3'}",
            "RUN_DIR": str(tmp / "run"), **issuer.settings(AUTH_OIDC_JWKS_RETRY=30.0)})
        settings, verifier = get_settings(app), app.extensions["oidc"]
        api = TOKENS["viewer"]
        login = issue_access_token("bob", Role.VIEWER, settings.auth.secret_key)
        rs256 = issuer.mint("alice@example.com")
        es256 = issuer.mint("alice@example.com", kid=es_kid, alg="ES256")
        for token in (api, login, rs256, es256):
            assert authenticate(token, settings.auth, verifier).role  # and warms the key cache
        n = args.iterations
        print(f"Bearer-token checks, {n} iterations each (microseconds per check; warm key cache, "
              f"{issuer.fetches} key set fetch in total)")
        base50, base95 = measure(lambda: authenticate(api, settings.auth, verifier), n)
        rows = [("API token (baseline)", base50, base95)]
        uncached = copy.copy(verifier)
        uncached.verified = VerifiedTokens(0)  # LRU off: every request checks the signature
        for label, token, checker in (("login token (itsdangerous)", login, verifier),
                                      ("OIDC RS256, no token cache", rs256, uncached),
                                      ("OIDC ES256, no token cache", es256, uncached),
                                      ("OIDC RS256, verified-token LRU", rs256, verifier),
                                      ("OIDC ES256, verified-token LRU", es256, verifier)):
            rows.append((label, *measure(lambda t=token, c=checker: authenticate(t, settings.auth, c), n)))
        for label, p50, p95 in rows:
            print(f"  {label:<32} p50 {p50:8.1f} us   p95 {p95:8.1f} us   ({p50 / base50:6.1f}x baseline p50)")
        client = app.test_client()
        requests = max(200, n // 10)
        print(f"\nWhole GET /api/test through the Flask test client, {requests} requests each")
        req50, req95 = measure(lambda: client.get("/api/test", headers={"Authorization": f"Bearer {api}"}), requests)
        print(f"  {'API token (baseline)':<32} p50 {req50:8.1f} us   p95 {req95:8.1f} us")
        for label, checker in (("OIDC RS256, no token cache", uncached), ("OIDC RS256, verified-token LRU", verifier)):
            app.extensions["oidc"] = checker
            oidc50, oidc95 = measure(
                lambda: client.get("/api/test", headers={"Authorization": f"Bearer {rs256}"}), requests)
            print(f"  {label:<32} p50 {oidc50:8.1f} us   p95 {oidc95:8.1f} us   "
                  f"({oidc50 / req50:6.2f}x baseline p50, {oidc50 - req50:+.0f} us)")
        assert issuer.fetches <= 2, "the key cache was not warm"
    return 0


if __name__ == "__main__":
    sys.exit(main())
