"""Per-request plumbing: request ids, the JSON access log (with the caller's identity), the per-worker request
count and the request-line and header-size limits (JSON 414/431 below Gunicorn's own HTML ones)."""
from __future__ import annotations

import logging
import random
import re
import time

from flask import Flask, Response, g, request
from werkzeug.exceptions import RequestHeaderFieldsTooLarge, RequestURITooLarge

from app.logging import log_access
from app.telemetry import WORKER_REQUESTS

access_log = logging.getLogger("techno_etl.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Probes and metrics: not rate-limited, not metered, logged at DEBUG when they succeed.
OPS_PATH_PREFIXES = ("/api/health", "/api/metrics")
# Gunicorn's defaults; gunicorn.conf.py sets its own limits above these so the app answers in JSON first.
REQUEST_LINE_LIMIT = 4094
HEADER_FIELD_LIMIT = 8190


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
    # A new id is 128 random bits like uuid4().hex, from the process's PRNG (reseeded after a fork): ids
    # need to be unique, not unguessable, and os.urandom costs a system call per request.
    g.request_id = incoming if _SAFE_ID.match(incoming) else f"{random.getrandbits(128):032x}"
    _check_sizes()


def _finish_request(response: Response) -> Response:
    response.headers["X-Request-ID"] = getattr(g, "request_id", "")
    # An error of ours that set Retry-After (the limiter's 429, an open breaker's seconds to half-open)
    # keeps it even if a hook rewrote it; no other answer carries one.
    own = g.get("retry_after")
    if own is not None:
        response.headers["Retry-After"] = own
    elif response.status_code != 429:
        response.headers.pop("Retry-After", None)
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
        message = f"{request.method} {request.path} {response.status_code}{f' {identity}' if identity else ''}"
        log_access(access_log, level, message, extra, getattr(g, "request_id", None))
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start_request)
    app.after_request(_finish_request)
