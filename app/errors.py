"""The project's error tree: the typed errors services raise, each with an HTTP status and a code.

Flask-free on purpose: the pure image operations (app.imaging) raise these inside the image pool's
processes, which must stay light. app/error_handlers.py renders them as the one JSON envelope.
"""
from __future__ import annotations

from typing import Any


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
