"""The generic half of the OpenAPI document: error responses, roles and tolerated inputs, in one place;
and `Api`, the flask-smorest API object that documents them.

Routes declare what is theirs (arguments, success responses, the 503/504 of their dependencies).
What follows from the foundation's own hooks is added here, for every operation of every area, by an
apispec plugin that runs when a blueprint is registered:

- 401 (and 403 unless the role is viewer) on every operation that needs a token (app/security.py), and
  503 (an OIDC ID token while the issuer's keys cannot be fetched);
- 400 on every operation with query/header parameters or a body (webargs via ApiBlueprint);
- 404 on every operation with a path parameter (a converter refusing a value is a 404 in Flask);
- 413 on every operation with a body (MAX_CONTENT_LENGTH);
- 429 on every operation the default rate limit applies to (all but the probes and the metrics);
- 414 and 431 on every operation: the envelope from the app (app/middleware.py), or Gunicorn's own HTML
  page when the request line or a header is beyond Gunicorn's limits (gunicorn.conf.py);
- `x-required-role` resolved per method, `admin` when the view declared nothing (the auth hook's rule);
- the documented tolerances: `@passthrough_query` adds a free-form query parameter.

All error responses use the one envelope (ErrorSchema, registered by `Api` below).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from apispec import BasePlugin
from flask_smorest import Api as _SmorestApi
from flask_smorest import Blueprint

from app.api.schemas import ErrorSchema
from app.middleware import OPS_PATH_PREFIXES

F = TypeVar("F", bound=Callable[..., Any])

OPERATION_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# The blueprints app/factory.py exempts from the rate limiter; tests/contract checks that they agree.
RATE_LIMIT_EXEMPT_PREFIXES = OPS_PATH_PREFIXES
PASSTHROUGH_KEY = "x-passthrough-query"

# Status -> response component (flask-smorest registers one per HTTPStatus, with our ErrorSchema).
_ERROR_RESPONSES = {
    400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
    413: "REQUEST_ENTITY_TOO_LARGE", 429: "TOO_MANY_REQUESTS", 503: "SERVICE_UNAVAILABLE",
    414: "URI_TOO_LONG", 431: "HEADER_FIELDS_TOO_LARGE",
}
# Answered before the app by Gunicorn (HTML) or by the app (the envelope), for every operation.
_SERVER_LIMITS = {
    414: ("URI_TOO_LONG", "The request line is too long: the envelope (uri_too_long) up to Gunicorn's "
                          "limit_request_line, Gunicorn's HTML page beyond it."),
    431: ("HEADER_FIELDS_TOO_LARGE", "A header field is too large: the envelope (header_fields_too_large) up to "
                                     "Gunicorn's limit_request_field_size, Gunicorn's HTML page beyond it."),
}


def passthrough_query(description: str = "Other query parameters are passed through to Magento unchanged."
                      ) -> Callable[[F], F]:
    """Document that unknown query parameters are accepted and forwarded; pair it with
    `@blp.arguments(QuerySchema, location="query", unknown=INCLUDE)` (webargs drops them otherwise)."""
    return Blueprint.doc(**{PASSTHROUGH_KEY: description})


def required_role(operation: dict[str, Any], method: str) -> str | None:
    """The role an operation needs as the auth hook applies it; None when the operation is public."""
    if operation.get("security") == []:
        return None
    declared = operation.get("x-required-role")
    if not declared:
        return "admin"  # a view with no declaration needs admin (app/security.py fails closed)
    if ":" not in declared:
        return declared
    # A per-method declaration, rendered by require_role as "GET: viewer, *: admin".
    by_method = dict(part.strip().split(": ", 1) for part in declared.split(","))
    return by_method.get(method.upper(), by_method.get("*", "admin"))


def rate_limited(path: str) -> bool:
    return not any(path == p or path.startswith(p + "/") for p in RATE_LIMIT_EXEMPT_PREFIXES)


def error_statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses the foundation itself can return for this operation."""
    statuses: set[int] = set()
    role = required_role(operation, method)
    if role is not None:
        statuses.update((401, 503))
        if role != "viewer":  # every valid token is at least a viewer
            statuses.add(403)
    params = [p for p in operation.get("parameters", []) if isinstance(p, dict)]
    if any(p.get("in") in ("query", "header", "cookie") for p in params) or "requestBody" in operation:
        statuses.add(400)
    if "{" in path:
        statuses.add(404)
    if "requestBody" in operation:
        statuses.add(413)
    if rate_limited(path):
        statuses.add(429)
    statuses.update(_SERVER_LIMITS)
    return statuses


def _passthrough_parameter(description: str) -> dict[str, Any]:
    # OAS 3's way to say "any other query parameter": a form-exploded free-form object.
    return {"in": "query", "name": "passthrough", "required": False, "description": description,
            "style": "form", "explode": True,
            "schema": {"type": "object", "additionalProperties": {"type": "string"}}}


class ContractPlugin(BasePlugin):
    """apispec plugin completing every operation with what the foundation adds to it."""

    def init_spec(self, spec: Any) -> None:
        super().init_spec(spec)
        for name, description in _SERVER_LIMITS.values():
            spec.components.response(name, {"description": description, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}},
                "text/html": {"schema": {"type": "string"}}}})

    def operation_helper(self, path: str | None = None, operations: dict | None = None,
                         **kwargs: Any) -> None:
        for method, operation in (operations or {}).items():
            if method not in OPERATION_METHODS or not isinstance(operation, dict):
                continue
            role = required_role(operation, method)
            if role is not None:
                operation["x-required-role"] = role
                operation.setdefault("security", [{"bearerAuth": []}])
            passthrough = operation.pop(PASSTHROUGH_KEY, None)
            if passthrough:
                operation.setdefault("parameters", []).append(_passthrough_parameter(passthrough))
                operation[PASSTHROUGH_KEY] = True
            responses = operation.setdefault("responses", {})
            for status in sorted(error_statuses(path or "", method, operation)):
                if status not in responses and str(status) not in responses:
                    responses[status] = _ERROR_RESPONSES[status]


class Api(_SmorestApi):
    """flask-smorest's Api documenting our error envelope instead of its own error schema."""

    ERROR_SCHEMA = ErrorSchema
    # No catch-all `default` response: each operation lists the statuses it can return, so the schema
    # fuzzing can flag an undocumented one (ContractPlugin above adds the generic error statuses).
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _init_spec(self, *, extra_plugins: tuple | list | None = None, **kwargs) -> None:  # type: ignore[override]
        super()._init_spec(extra_plugins=[*(extra_plugins or ()), ContractPlugin()], **kwargs)

    def _register_error_handlers(self) -> None:
        """app/error_handlers.py renders every error; smorest's own handler is not installed."""
