"""The /rest/ request pipeline, in Magento's order: faults (proxy) -> verb -> store prefix -> route ->
ACL/token -> Content-Type -> JSON decode -> handler -> render (errors via MagentoError)."""
from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import unquote

from flask import Response, request

from . import errors
from .errors import MagentoError
from .faults import apply_delay, drop_socket, fault_response_body
from .router import Router
from .sandbox import Ctx, Sandbox
from .search import parse_query

log = logging.getLogger(__name__)

VERBS = {"GET", "POST", "PUT", "DELETE"}
BODY_VERBS = {"POST", "PUT"}
JSON_TYPE = "application/json; charset=utf-8"


def json_response(value: Any, status: int = 200, headers: dict | None = None) -> Response:
    """Magento renders every result as JSON; a void result is `[]`."""
    body = json.dumps([] if value is None else value)
    return Response(body, status=status, content_type=JSON_TYPE, headers=headers)


def error_response(exc: MagentoError) -> Response:
    return json_response(exc.body(), status=exc.status)


def _raw_segments() -> list[str]:
    """Path segments from the raw request URI, so an encoded '/' (%2F) stays inside its segment."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    path = raw.split("?", 1)[0] if raw else request.path
    if "://" in path:  # absolute-form request target
        path = "/" + path.split("://", 1)[1].split("/", 1)[1]
    path = path[len("/rest/"):] if path.startswith("/rest/") else path.lstrip("/")
    return [unquote(seg) for seg in path.split("/")]


def _split_prefix(segments: list[str], store_codes: set[str]) -> tuple[str, bool, list[str]] | None:
    """(store_code, is_async, route segments starting at 'V1') or None when nothing can match."""
    store = "default"
    # An unknown store code stays part of the path, which then matches no route (PathProcessor).
    if segments and segments[0] not in {"V1", "async"} and (segments[0] in store_codes or segments[0] == "all"):
        store, segments = segments[0], segments[1:]
    is_async = False
    if segments[:2] == ["async", "bulk"]:
        is_async, segments = True, segments[2:]
    if not segments or segments[0] != "V1":
        return None
    return store, is_async, segments


def _decode_body() -> Any:
    content_type = request.headers.get("Content-Type", "").strip()
    if not content_type:
        raise MagentoError(400, errors.CONTENT_TYPE_EMPTY)
    mime, _, params = content_type.partition(";")
    mime = mime.strip().lower()
    if "/" not in mime:
        raise MagentoError(400, "Content-Type header is invalid.")
    charset = ""
    for part in params.split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if charset and charset not in {"utf-8", "utf8"}:
        raise MagentoError(400, "UTF-8 is the only supported charset.")
    if mime not in {"application/json", "text/json"}:
        # Magento also deserialises XML; the sandbox does not, so it refuses like an unknown type.
        raise MagentoError(400, "Server cannot understand Content-Type HTTP header media type %1", [mime])
    raw = request.get_data(cache=False)
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MagentoError(400, errors.DECODING_ERROR) from None


def handle_rest(sandbox: Sandbox, sync_router: Router, async_router: Router) -> Response:
    """Serve one /rest/... request."""
    method = request.method.upper()
    path = request.path
    decision = sandbox.faults.decide(path)
    parsed = _split_prefix(_raw_segments(), sandbox.state.store_codes)
    route_match = None
    if parsed is not None and method in VERBS:
        _store, is_async, segments = parsed
        route_match = (async_router if is_async else sync_router).match(method, segments)
    stat_key = (f"{method} {'/async/bulk/' if parsed and parsed[1] else '/'}{route_match[0].template}"
                if route_match else f"{method} <no route>")
    sandbox.count_call(stat_key)
    latency = sandbox.shop_latency_s()
    if latency:
        time.sleep(latency)  # the shop's own answer time (SANDBOX_LATENCY_MS), before any injected fault
    if decision is not None:
        apply_delay(sandbox.faults, decision)
        if (decision.drop or decision.reset) and drop_socket(request.environ, reset=decision.reset):
            return Response(b"", status=200)  # never reaches the client
        if decision.status:
            ctype, body = fault_response_body(decision.status)
            headers = {"Retry-After": str(decision.retry_after)} if decision.retry_after is not None else None
            return Response(body, status=decision.status, content_type=ctype, headers=headers)
    try:
        if method not in VERBS:
            raise MagentoError(400, errors.METHOD_INVALID)
        if route_match is None:
            raise errors.route_not_found()
        route, params = route_match
        if not route.anonymous and not sandbox.tokens.is_valid(_bearer()):
            raise errors.unauthorized(route.resource)
        body = _decode_body() if method in BODY_VERBS else None
        query = parse_query(request.args.items(multi=True))
        ctx = Ctx(sandbox=sandbox, store_code=parsed[0], query=query, body=body, is_async=parsed[1])
        result = route.handler(ctx, **params)
        if isinstance(result, Response):
            return result
        return json_response(result)
    except MagentoError as exc:
        return error_response(exc)
    except Exception:
        log.exception("sandbox: unhandled error")
        return error_response(errors.internal_error())


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None
