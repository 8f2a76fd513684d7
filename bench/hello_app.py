"""The baselines: a bare Flask hello app, and a bare relay to Magento, under the same gunicorn.conf.py."""
import os
import threading

import httpx
from flask import Flask, Response, jsonify, request

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
    """The floor of any proxy on this stack: the Gunicorn hop plus one pooled httpx call, and nothing else
    (no auth, limiter, breaker, bulkhead, cache, validation or access log). Bench only."""
    with _relay_lock:
        if not _relay:
            _relay.append(httpx.Client(timeout=30))
    url = f"{os.environ['MAGENTO_URL']}/rest/default/V1/{path}?{request.query_string.decode()}"
    upstream = _relay[0].get(url, headers={"Authorization": request.headers.get("Authorization", "")})
    return Response(upstream.content, upstream.status_code, mimetype="application/json")
