"""The one JSON envelope every failure is rendered with, and the handlers that render it.

`register_error_handlers` renders the typed errors (app.errors), Werkzeug's HTTP errors, webargs
validation errors and unexpected exceptions as
``{"success": false, "error": code, "message": text, "requestId": id, "details": {...}}``.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from app.errors import AppError, UpstreamHTTPError

log = logging.getLogger(__name__)


_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 408: "request_timeout", 409: "conflict", 413: "payload_too_large",
    414: "uri_too_long", 415: "unsupported_media_type", 422: "invalid_input", 429: "rate_limited",
    431: "header_fields_too_large",
    500: "internal_error", 503: "service_unavailable", 504: "gateway_timeout",
}


def request_id() -> str | None:
    return getattr(g, "request_id", None) if _has_request() else None


def _has_request() -> bool:
    from flask import has_request_context
    return has_request_context()


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    """Build the envelope; the only place an error body is shaped."""
    body: dict[str, Any] = {"success": False, "error": code, "message": message, "requestId": request_id()}
    if details:
        body["details"] = details
    resp = jsonify(body)
    resp.status_code = status
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    if "Retry-After" in resp.headers and _has_request():
        g.retry_after = resp.headers["Retry-After"]  # the limiter rewrites it; middleware restores ours
    return resp


def _validation_details(exc: HTTPException) -> dict[str, Any] | None:
    """Flatten webargs' {location: {field: [msgs]}} into {field: [msgs]} (query, json, files, path...)."""
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if not messages:
        return None
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            for field, reasons in fields.items():
                flat[str(field)] = reasons
        else:
            flat[location] = fields
    return flat


def handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    details = _validation_details(exc)
    if status in (400, 422) and details:  # webargs validation: 400 with the bad fields and why
        if details.get("json") == ["Invalid JSON body."]:
            return error_response(400, "malformed_json", "The request body is not valid JSON.")
        return error_response(400, "invalid_input", "The request is invalid.", details)
    code = _HTTP_CODES.get(status, "error")
    message = exc.description or exc.name
    if status == 400 and "JSON" in (exc.description or ""):
        code, message = "malformed_json", "The request body is not valid JSON."
    elif status == 413:
        limit = request.max_content_length if _has_request() else None
        message = f"The request body is larger than the {limit} bytes allowed." if limit else message
    elif status == 404:
        message = "The requested URL was not found on this server."
    elif status == 405 and not _allowed_method_matches(exc):
        status, code, message = 404, "not_found", "The requested URL was not found on this server."
    elif status == 405:
        message = f"The method {request.method} is not allowed for this URL."
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    if status == 429:
        return _rate_limited(exc)
    return error_response(status, code, message, None, headers)


def _allowed_method_matches(exc: HTTPException) -> bool:
    """Werkzeug checks the method before the converters, so a value no rule accepts (an id out of range)
    surfaces as a 405; it is a 404 unless one of the "allowed" methods really matches this URL."""
    if not _has_request():
        return True
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in getattr(exc, "valid_methods", None) or ():
        try:
            adapter.match(method=method)
            return True
        except RequestRedirect:
            return True
        except HTTPException:
            continue
    return False


def _rate_limited(exc: HTTPException) -> Response:
    description = getattr(exc, "description", None) or "Too many requests."
    resp = error_response(429, "rate_limited", f"Rate limit exceeded: {description}.")
    return resp


def handle_app_error(exc: AppError) -> Response:
    if isinstance(exc, UpstreamHTTPError) and exc.body is not None:
        # Magento's own status and JSON body pass through, so the frontend sees what Magento said.
        resp = jsonify(exc.body)
        resp.status_code = exc.status
        return resp
    if exc.status >= 500:
        log.warning("request failed: %s", exc.message, extra={"error": exc.code, "status": exc.status})
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


def handle_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error")
    return error_response(500, "internal_error", "Internal server error.")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
