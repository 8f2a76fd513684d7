"""/api/dashboard: Magento totals and recent lists (cached), and Magento's health (never cached).

A Magento outage is a 503/504 envelope, never a 200 with made-up numbers.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from app.api.blueprint import ApiBlueprint
from app.api.dashboard.schemas import (
    DashboardHealthEnvelopeSchema,
    DashboardListEnvelopeSchema,
    DashboardListQuerySchema,
    DashboardStatsEnvelopeSchema,
)
from app.api.schemas import ErrorSchema
from app.security import Role, require_role
from app.services.magento import dashboard

blp = ApiBlueprint("dashboard", __name__, url_prefix="/api/dashboard", description="Dashboard numbers from Magento")


def _envelope(data: Any, cached: bool) -> dict[str, Any]:
    return {"success": True, "data": data, "cached": cached,
            "timestamp": dt.datetime.now(dt.UTC).isoformat()}


def _upstream_errors(func: Any) -> Any:
    func = blp.alt_response(504, schema=ErrorSchema, description="Magento did not answer in time")(func)
    return blp.alt_response(503, schema=ErrorSchema, description="Magento is unreachable")(func)


@blp.route("/stats", methods=["GET"])
@blp.response(200, DashboardStatsEnvelopeSchema)
@_upstream_errors
@require_role(Role.VIEWER)
def stats():
    """Totals of products, orders and customers and the last 30 days' revenue."""
    return _envelope(*dashboard.cached("stats", dashboard.stats))


def _list_view(kind: str):
    def view(args: dict[str, Any]) -> dict[str, Any]:
        limit = args["limit"]
        return _envelope(*dashboard.cached(f"{kind}:{limit}", lambda: dashboard.recent(kind, limit)))
    view.__name__ = f"recent_{kind}"
    view.__doc__ = f"The newest {kind} (limit, default 10) and Magento's total count."
    view = require_role(Role.VIEWER)(view)
    view = _upstream_errors(view)
    view = blp.response(200, DashboardListEnvelopeSchema)(view)
    view = blp.arguments(DashboardListQuerySchema, location="query")(view)
    blp.route(f"/{kind}", methods=["GET"])(view)


for _kind in ("orders", "products", "customers"):
    _list_view(_kind)


@blp.route("/health", methods=["GET"])
@blp.response(200, DashboardHealthEnvelopeSchema)
@_upstream_errors
@require_role(Role.VIEWER)
def health():
    """Reach Magento now (never cached): 200 when it answers, 503/504 when it does not."""
    return _envelope(dashboard.health(), False)
