"""/api/dashboard: Magento totals (a snapshot), recent lists (cached), Magento's health (never cached), and the
operator's view and refresh of the dashboard snapshots.

A Magento outage is a 503/504 envelope, never a 200 with made-up numbers; the totals keep being served from
their snapshot (with its age) while Magento is down.
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
    SnapshotRefreshSchema,
    SnapshotStatusEnvelopeSchema,
)
from app.api.envelope import ok
from app.api.jobs import job_reply, requested_by
from app.api.schemas import AGE_HEADERS, ErrorSchema, JobAcceptedSchema
from app.security import Role, require_role
from app.services import snapshots
from app.services.magento import dashboard

blp = ApiBlueprint("dashboard", __name__, url_prefix="/api/dashboard", description="Dashboard numbers from Magento")


def _envelope(data: Any, cached: bool) -> dict[str, Any]:
    return ok(data, cached=cached, timestamp=dt.datetime.now(dt.UTC).isoformat())


def _upstream_errors(func: Any) -> Any:
    func = blp.alt_response(504, schema=ErrorSchema, description="Magento did not answer in time")(func)
    return blp.alt_response(503, schema=ErrorSchema, description="Magento is unreachable")(func)


@blp.route("/stats", methods=["GET"])
@blp.response(200, DashboardStatsEnvelopeSchema, headers=AGE_HEADERS)
@blp.alt_response(503, schema=ErrorSchema, description="snapshot_pending: the first snapshot is being built "
                  "(Retry-After)")
@require_role(Role.VIEWER)
def stats():
    """Totals of products, orders and customers and the last 30 days' revenue (the latest snapshot).

    `timestamp` is when its data was read from Magento, also in the Age and X-Data-As-Of headers."""
    snap = snapshots.read("dashboard/stats")
    body = ok(snap.data, cached=True, timestamp=snapshots.age_headers(snap)["X-Data-As-Of"])
    return body, 200, snapshots.age_headers(snap)


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


@blp.route("/snapshots", methods=["GET"])
@blp.response(200, SnapshotStatusEnvelopeSchema)
@require_role(Role.OPERATOR)
def snapshot_status():
    """Each chart/dashboard snapshot: as-of, age, size, status (ready or pending); the open and last build."""
    return ok(snapshots.status())


@blp.route("/snapshots/refresh", methods=["POST"])
@blp.arguments(SnapshotRefreshSchema, location="json", required=False)
@blp.response(202, JobAcceptedSchema)
@require_role(Role.OPERATOR)
def snapshot_refresh(body: dict[str, Any] | None):
    """Build the snapshots now (a job; 202 with its status URL): incremental by default, `full` re-reads all.

    A queued build that already covers the request is answered instead of a second one."""
    body = body or {}
    job_id, _created = snapshots.request_refresh(full=body.get("full", False), groups=body.get("groups"),
                                                 requested_by=requested_by())
    reply, _status = job_reply(job_id, 0)
    return reply, 202
