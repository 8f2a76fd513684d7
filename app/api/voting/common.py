"""Helpers shared by the /api/task and /api/voting route modules: caller identity, engine, error docs."""
from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import Engine

from app.adapters.appdb import get_app_engine
from app.api.blueprint import ApiBlueprint
from app.api.schemas import ErrorSchema
from app.errors import Unauthorized
from app.security import current_principal
from app.services.voting import FeatureQuery

ERROR_DESCRIPTIONS = {
    400: "Invalid query or body; `details` names each bad field.",
    401: "Missing or invalid bearer token.",
    403: "The token's role is too low.",
    404: "No feature with this id.",
}


def documented_errors(blp: ApiBlueprint, *statuses: int) -> Callable[[Any], Any]:
    """Declare the error envelope for each status (401 always) in the OpenAPI document."""
    def decorator(func: Any) -> Any:
        for status in sorted({401, *statuses}, reverse=True):
            func = blp.alt_response(status, schema=ErrorSchema, description=ERROR_DESCRIPTIONS[status])(func)
        return func
    return decorator


def caller() -> str:
    """The voter/author: the token's subject (a body's user_id is never trusted)."""
    principal = current_principal()
    if principal is None:  # unreachable behind check_request_auth; fail closed anyway
        raise Unauthorized()
    return principal.subject


def engine() -> Engine:
    return get_app_engine()


def feature_query(args: dict[str, Any]) -> FeatureQuery:
    return FeatureQuery(status=args.get("status"), category_id=args.get("category"), priority=args.get("priority"),
                        search=args.get("search"), sort_by=args["sortBy"], sort_order=args["sortOrder"],
                        page=args["page"], page_size=args["pageSize"])
