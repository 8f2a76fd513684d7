"""Helpers shared by the /api/task and /api/voting route modules: caller identity, feature query, error docs."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.api.blueprint import ApiBlueprint
from app.api.schemas import ErrorSchema
from app.errors import Unauthorized
from app.security import current_principal
from app.services.voting import FeatureQuery

# 400/401/403/404/413/429 are added to every operation by app/api/openapi.py; these are the voting routes' own.
ERROR_DESCRIPTIONS = {
    409: "The vote kept changing under concurrent requests of the same user; retry.",
    503: "The app database is unavailable (dependency_unavailable).",
}


def documented_errors(blp: ApiBlueprint, *statuses: int) -> Callable[[Any], Any]:
    """Declare the error envelope for the route's own statuses (503 always: every route reads the database)."""
    def decorator(func: Any) -> Any:
        for status in sorted({503, *statuses}, reverse=True):
            func = blp.alt_response(status, schema=ErrorSchema, description=ERROR_DESCRIPTIONS[status])(func)
        return func
    return decorator


def caller() -> str:
    """The voter/author: the token's subject (a body's user_id is never trusted)."""
    principal = current_principal()
    if principal is None:  # unreachable behind check_request_auth; fail closed anyway
        raise Unauthorized()
    return principal.subject


def feature_query(args: dict[str, Any]) -> FeatureQuery:
    return FeatureQuery(status=args.get("status"), category_id=args.get("category"), priority=args.get("priority"),
                        search=args.get("search"), sort_by=args["sortBy"], sort_order=args["sortOrder"],
                        page=args["page"], page_size=args["pageSize"])
