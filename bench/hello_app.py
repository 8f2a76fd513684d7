"""The baselines: a bare Flask hello app, and bare relays to Magento, under the same gunicorn.conf.py."""
import os
import threading

import httpx
from flask import Flask, Response, jsonify, request

from bench.raw_relay_app import relay_stdlib

app = Flask(__name__)
_relay: list[httpx.Client] = []
_relay_lock = threading.Lock()


@app.get("/api/health")
@app.get("/api/health/ready")
@app.get("/api/test")
def hello():
    return jsonify(status="pass", message="hello")


@app.get("/relay/<path:path>")
def relay(path: str):
    """A Flask proxy with the app's HTTP client: the Gunicorn hop, Flask and one pooled httpx call, nothing
    else (no auth, limiter, breaker, bulkhead, cache, validation or access log). Bench only."""
    with _relay_lock:
        if not _relay:
            _relay.append(httpx.Client(timeout=30))
    url = f"{os.environ['MAGENTO_URL']}/rest/default/V1/{path}?{request.query_string.decode()}"
    upstream = _relay[0].get(url, headers={"Authorization": request.headers.get("Authorization", "")})
    return Response(upstream.content, upstream.status_code, mimetype="application/json")


@app.get("/relay-stdlib/<path:path>")
def relay_with_stdlib(path: str):
    """The floor of a Flask proxy: the Gunicorn hop, Flask, and one http.client call. Bench only."""
    status, body = relay_stdlib(path, request.query_string.decode(), request.headers.get("Authorization", ""))
    return Response(body, status, mimetype="application/json")
