"""The project's error tree and the one JSON envelope every failure is rendered with.

Services raise these typed errors; `register_error_handlers` renders them (and Werkzeug's HTTP errors,
webargs validation errors and unexpected exceptions) as
``{"success": false, "error": code, "message": text, "requestId": id, "details": {...}}``.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

log = logging.getLogger(__name__)


class AppError(Exception):
    """Base of every error a service may raise; carries the HTTP status and a short code."""

    status: int = 500
    code: str = "internal_error"
    message: str = "Internal server error."

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details
        self.headers = headers or {}

    def __reduce__(self):  # keep errors picklable across the image pool boundary
        return (_rebuild_error, (type(self), self.__dict__.copy()))


def _rebuild_error(cls: type[AppError], state: dict[str, Any]) -> AppError:
    err = cls.__new__(cls)
    Exception.__init__(err, state.get("message"))
    err.__dict__.update(state)
    return err


class InvalidInput(AppError):
    status, code, message = 400, "invalid_input", "The request is invalid."


class MalformedJSON(AppError):
    status, code, message = 400, "malformed_json", "The request body is not valid JSON."


class Unauthorized(AppError):
    status, code, message = 401, "unauthorized", "A valid bearer token is required."


class Forbidden(AppError):
    status, code, message = 403, "forbidden", "Your role does not allow this action."


class NotFound(AppError):
    status, code, message = 404, "not_found", "The requested resource was not found."


class Conflict(AppError):
    status, code, message = 409, "conflict", "The request conflicts with the current state."


class PayloadTooLarge(AppError):
    status, code, message = 413, "payload_too_large", "The request body is too large."


class UnsupportedMedia(AppError):
    status, code, message = 415, "unsupported_media_type", "The media type is not supported."


class RateLimited(AppError):
    status, code, message = 429, "rate_limited", "Too many requests."


class DependencyUnavailable(AppError):
    """A dependency the request needs (database, cache, pool) cannot be reached right now."""

    status, code, message = 503, "dependency_unavailable", "A required dependency is unavailable."

    def __init__(self, dependency: str, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message or f"{dependency} is unavailable.", **kwargs)
        self.dependency = dependency
        self.details = self.details or {"dependency": dependency}


class SchemaMissing(AppError):
    """A database answers but lacks a table the request needs: a setup step is missing, not an outage.

    503 with the code `<database>_schema_missing` (e.g. mdm_schema_missing) and the command that fixes it;
    not a DependencyUnavailable, so circuit breakers and job waits do not treat it as a passing outage.
    """

    status = 503

    def __init__(self, dependency: str, table: str, fix: str, **kwargs: Any) -> None:
        super().__init__(f"The {dependency} database has no table {table}: {fix}", **kwargs)
        self.code = f"{dependency}_schema_missing"
        self.dependency, self.table, self.fix = dependency, table, fix
        self.details = self.details or {"dependency": dependency, "table": table, "fix": fix}


class UpstreamUnavailable(AppError):
    """An upstream service is down or its circuit breaker is open."""

    status, code, message = 503, "upstream_unavailable", "An upstream service is unavailable."

    def __init__(self, upstream: str, message: str | None = None, *, retry_after: float | None = None,
                 **kwargs: Any) -> None:
        super().__init__(message or f"{upstream} is unavailable.", **kwargs)
        self.upstream = upstream
        self.retry_after = retry_after
        self.details = self.details or {"upstream": upstream}
        if retry_after is not None:
            self.headers.setdefault("Retry-After", str(max(1, int(round(retry_after)))))


class SnapshotPending(AppError):
    """A dashboard dataset has no snapshot yet: its first build runs in the background (app/services/snapshots)."""

    status, code, message = 503, "snapshot_pending", "This dataset is being built for the first time."

    def __init__(self, dataset: str, retry_after: float, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message or f"{dataset} has no snapshot yet; its first build is running. Retry shortly.",
                         **kwargs)
        self.details = self.details or {"dataset": dataset}
        self.headers.setdefault("Retry-After", str(max(1, int(round(retry_after)))))


class UpstreamTimeout(AppError):
    status, code, message = 504, "upstream_timeout", "An upstream service did not answer in time."

    def __init__(self, upstream: str, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message or f"{upstream} did not answer in time.", **kwargs)
        self.upstream = upstream
        self.details = self.details or {"upstream": upstream}


class UpstreamHTTPError(AppError):
    """An upstream answered with an error; its status and JSON body pass through unchanged."""

    code = "upstream_error"

    def __init__(self, status: int, message: str, body: Any = None, *, upstream: str = "magento",
                 **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status = status
        self.body = body
        self.upstream = upstream


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
