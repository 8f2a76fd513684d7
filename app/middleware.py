"""Per-request plumbing: request ids, the JSON access log (with the caller's identity), the per-worker request
count, the request-line and header-size limits (JSON 414/431 below Gunicorn's own HTML ones), and RateLimit-Reset
in seconds."""
from __future__ import annotations

import logging
import math
import re
import time
import uuid

from flask import Flask, Response, g, request
from werkzeug.exceptions import RequestHeaderFieldsTooLarge, RequestURITooLarge

from app.telemetry import WORKER_REQUESTS

access_log = logging.getLogger("techno_etl.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Probes and metrics: not rate-limited, not metered, logged at DEBUG when they succeed.
OPS_PATH_PREFIXES = ("/api/health", "/api/metrics")
# Gunicorn's defaults; gunicorn.conf.py sets its own limits above these so the app answers in JSON first.
REQUEST_LINE_LIMIT = 4094
HEADER_FIELD_LIMIT = 8190
_EPOCH_2001 = 1_000_000_000  # a RateLimit-Reset above this is a timestamp, not a number of seconds


def _check_sizes() -> None:
    line = len(request.method) + len(request.environ.get("RAW_URI") or request.full_path) + 10  # " HTTP/1.1"
    if line > REQUEST_LINE_LIMIT:
        raise RequestURITooLarge(f"The request line is longer than {REQUEST_LINE_LIMIT} bytes.")
    for name, value in request.headers.items():
        if len(name) + len(value) + 2 > HEADER_FIELD_LIMIT:
            raise RequestHeaderFieldsTooLarge(f"A header field is longer than {HEADER_FIELD_LIMIT} bytes.")


def _start_request() -> None:
    g.start = time.perf_counter()
    incoming = request.headers.get("X-Request-ID") or request.headers.get("X-Correlation-ID") or ""
    # A caller-supplied id is echoed only when it is safe to put in logs and headers.
    g.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
    _check_sizes()


def _finish_request(response: Response) -> Response:
    response.headers["X-Request-ID"] = getattr(g, "request_id", "")
    # Flask-Limiter sets Retry-After on every response (its window's reset). Keep it on its own 429s;
    # an error of ours that set one (an open breaker's seconds to half-open) gets ours back; drop it elsewhere.
    own = g.get("retry_after")
    if own is not None:
        response.headers["Retry-After"] = own
    elif response.status_code != 429:
        response.headers.pop("Retry-After", None)
    reset = response.headers.get("RateLimit-Reset", "")
    if reset.isdigit() and int(reset) > _EPOCH_2001:  # Flask-Limiter writes the window's end as a timestamp
        response.headers["RateLimit-Reset"] = str(max(0, math.ceil(int(reset) - time.time())))
    WORKER_REQUESTS.inc()
    duration_ms = round((time.perf_counter() - g.get("start", time.perf_counter())) * 1000, 2)
    level = logging.DEBUG if request.path.startswith(OPS_PATH_PREFIXES) and response.status_code < 400 else logging.INFO
    if access_log.isEnabledFor(level):
        extra = {"method": request.method, "path": request.path, "status": response.status_code,
                 "durationMs": duration_ms, "client": request.remote_addr}
        principal = g.get("principal")
        # Who asked (app/security.py): the token's subject, e.g. an OIDC user's verified email.
        identity = principal.subject if principal is not None else g.get("auth_identity")
        if identity:
            extra["identity"] = identity
        if principal is not None:
            extra["authKind"] = principal.kind
        if g.get("auth_refused"):
            extra["authRefused"] = g.auth_refused
        access_log.log(level, "%s %s %s%s", request.method, request.path, response.status_code,
                       f" {identity}" if identity else "", extra=extra)
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start_request)
    app.after_request(_finish_request)
