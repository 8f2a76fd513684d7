"""Per-request plumbing: request ids, the JSON access log (with the caller's identity), the per-worker request
count and the request-line and header-size limits (JSON 414/431 below Gunicorn's own HTML ones)."""
from __future__ import annotations

import logging
import random
import re
import time
from typing import Any

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


def _check_sizes(environ: dict[str, Any]) -> None:
    line = len(environ["REQUEST_METHOD"]) + len(environ.get("RAW_URI") or request.full_path) + 10  # " HTTP/1.1"
    if line > REQUEST_LINE_LIMIT:
        raise RequestURITooLarge(f"The request line is longer than {REQUEST_LINE_LIMIT} bytes.")
    for key, value in environ.items():
        # An "HTTP_X_Y" key is 5 characters longer than its header's name "X-Y": only a field that might
        # be over the limit gets the exact test.
        if type(value) is str and len(key) + len(value) > HEADER_FIELD_LIMIT - 2 and key[:5] == "HTTP_" \
                and len(key) - 5 + len(value) + 2 > HEADER_FIELD_LIMIT:
            raise RequestHeaderFieldsTooLarge(f"A header field is longer than {HEADER_FIELD_LIMIT} bytes.")
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):  # the two headers WSGI files without the HTTP_ prefix
        if len(key) + len(environ.get(key) or "") + 2 > HEADER_FIELD_LIMIT:
            raise RequestHeaderFieldsTooLarge(f"A header field is longer than {HEADER_FIELD_LIMIT} bytes.")


def _start_request() -> None:
    # The request and g proxies are resolved once per hook: each attribute read through a proxy is a
    # context-variable lookup.
    request_g = g._get_current_object()
    environ = request.environ
    request_g.start = time.perf_counter()
    incoming = environ.get("HTTP_X_REQUEST_ID") or environ.get("HTTP_X_CORRELATION_ID") or ""
    # A caller-supplied id is echoed only when it is safe to put in logs and headers.
    # A new id is 128 random bits like uuid4().hex, from the process's PRNG (reseeded after a fork): ids
    # need to be unique, not unguessable, and os.urandom costs a system call per request.
    request_g.request_id = incoming if incoming and _SAFE_ID.match(incoming) else f"{random.getrandbits(128):032x}"
    _check_sizes(environ)


def _finish_request(response: Response) -> Response:
    request_g, req = g._get_current_object(), request._get_current_object()
    request_id = getattr(request_g, "request_id", "")
    response.headers.add("X-Request-ID", request_id)  # only this hook sets it: no search for an old one
    # An error of ours that set Retry-After (the limiter's 429, an open breaker's seconds to half-open)
    # keeps it even if a hook rewrote it; no other answer carries one.
    own = getattr(request_g, "retry_after", None)
    status = response.status_code
    if own is not None:
        response.headers["Retry-After"] = own
    elif status != 429:
        response.headers.pop("Retry-After", None)
    WORKER_REQUESTS.inc()
    start = getattr(request_g, "start", None)
    duration_ms = round((time.perf_counter() - start) * 1000, 2) if start is not None else 0.0
    path, method = req.path, req.method
    level = logging.DEBUG if status < 400 and path.startswith(OPS_PATH_PREFIXES) else logging.INFO
    if access_log.isEnabledFor(level):
        extra = {"method": method, "path": path, "status": status, "durationMs": duration_ms,
                 "client": req.remote_addr}
        principal = getattr(request_g, "principal", None)
        # Who asked (app/security.py): the token's subject, e.g. an OIDC user's verified email.
        identity = principal.subject if principal is not None else getattr(request_g, "auth_identity", None)
        if identity:
            extra["identity"] = identity
        if principal is not None:
            extra["authKind"] = principal.kind
        refused = getattr(request_g, "auth_refused", None)
        if refused:
            extra["authRefused"] = refused
        message = f"{method} {path} {status} {identity}" if identity else f"{method} {path} {status}"
        log_access(access_log, level, message, extra, request_id or None)
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start_request)
    app.after_request(_finish_request)
