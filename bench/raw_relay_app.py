"""The floor of any proxy Gunicorn can serve: a bare WSGI callable relaying with the standard library's
http.client, one new upstream connection per call (the sandbox closes each one), nothing else.

No Flask, no httpx, no auth, cache, limiter or log: what is left is Gunicorn's own hop and one HTTP call.
bench_magento.py runs it under the same gunicorn.conf.py as the app. Bench only.
"""
from __future__ import annotations

import http.client
import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

_UPSTREAM = urlsplit(os.environ.get("MAGENTO_URL", "http://127.0.0.1:8081"))
_HEALTH = b'{"status":"pass"}'


def relay_stdlib(path: str, query: str, authorization: str) -> tuple[int, bytes]:
    """GET `path` from Magento's REST area with http.client; (status, body)."""
    conn = http.client.HTTPConnection(_UPSTREAM.hostname or "127.0.0.1", _UPSTREAM.port or 80, timeout=30)
    try:
        conn.request("GET", f"/rest/default/V1/{path}?{query}", headers={"Authorization": authorization})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    status, body = 200, _HEALTH  # /api/health, /api/health/ready: GunicornServer's start probes
    if path.startswith("/relay/"):
        status, body = relay_stdlib(path[len("/relay/"):], environ.get("QUERY_STRING", ""),
                                    environ.get("HTTP_AUTHORIZATION", ""))
    start_response(f"{status} {http.client.responses.get(status, '')}",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
