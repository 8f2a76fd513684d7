"""MDM routes: GET prices / inventory / sources (viewer), POST sync/stocks (operator). Thin: services do the work."""
from __future__ import annotations

import json
from typing import Any

from flask import request

from app.adapters.cache import get_cache
from app.api.blueprint import ApiBlueprint
from app.api.mdm.schemas import (
    MdmInventoryArgsSchema,
    MdmInventorySchema,
    MdmPricesArgsSchema,
    MdmPricesSchema,
    MdmSourcesSchema,
    MdmSyncStocksArgsSchema,
    MdmSyncStocksSchema,
)
from app.api.schemas import ErrorSchema
from app.security import Role, require_role
from app.services.mdm.database import (
    CACHE_NAMESPACE,
    business_today,
    get_mdm_engine,
    get_sources,
    invalidate_mdm_cache,
    price_window_days,
)
from app.services.mdm.inventory import fetch_inventory
from app.services.mdm.inventory_params import parse_inventory_params
from app.services.mdm.prices import PriceQuery, fetch_prices
from app.services.mdm.stock import merge_stock_changes

blp = ApiBlueprint("mdm", __name__, url_prefix="/api/mdm", description="MDM prices, inventory and stock merge")


MDM_UNAVAILABLE = ("The MDM database is unreachable, timed out or busy (dependency_unavailable: too many "
                   "concurrent MDM calls in this worker; retry), or has no MDM tables (mdm_schema_missing, "
                   "with the command that fixes it in details.fix).")


def _reads_mdm(func: Any) -> Any:
    """Document the 503 of a route that queries the MDM database (sql.py and the MDM bulkhead raise it)."""
    return blp.alt_response(503, schema=ErrorSchema, description=MDM_UNAVAILABLE)(func)


def _cache_key(kind: str, params: dict[str, Any]) -> str:
    return kind + ":" + json.dumps(params, sort_keys=True, default=str)


@blp.route("/prices", methods=["GET"])
@_reads_mdm
@blp.arguments(MdmPricesArgsSchema, location="query")
@blp.response(200, MdmPricesSchema)
@require_role(Role.VIEWER)
def prices(args: dict[str, Any]):
    """Prices to push: e-commerce tariffs valid today, changed or created in the last N days."""
    query = PriceQuery(today=business_today(), window_days=price_window_days(), **args)
    page = get_cache().get_or_set(CACHE_NAMESPACE, _cache_key("prices", vars(query)),
                                  lambda: fetch_prices(get_mdm_engine(), query))
    return {"success": True, "message": f"{page.total_count} prices to synchronise",
            "data": page.rows, "totalCount": page.total_count}


@blp.route("/inventory", methods=["GET"])
@_reads_mdm
@blp.arguments(MdmInventoryArgsSchema, location="query")
@blp.response(200, MdmInventorySchema)
@require_role(Role.VIEWER)
def inventory(_args: dict[str, Any]):
    """The stock grid: StockChanges with product columns; filters, whitelisted sort, stable paging."""
    raw = request.args.to_dict(flat=True)
    query = parse_inventory_params(raw)  # raises InvalidInput (400) before any SQL
    today = business_today()
    page = get_cache().get_or_set(
        CACHE_NAMESPACE, _cache_key("inventory", {"q": repr(query), "today": today}),
        lambda: fetch_inventory(get_mdm_engine(), query, get_sources(), today=today))
    return {"success": True, "message": f"{page.total_count} stock rows", "data": page.rows,
            "totalCount": page.total_count, "page": page.page, "pageSize": page.page_size}


@blp.route("/sources", methods=["GET"])
@blp.response(200, MdmSourcesSchema)
@require_role(Role.VIEWER)
def sources():
    """The store mapping: MDM code_source -> Magento source code and branch."""
    return {"success": True, "message": "Store mapping", "data": [s.as_dict() for s in get_sources()]}


@blp.route("/sync/stocks", methods=["POST"])
@_reads_mdm
@blp.arguments(MdmSyncStocksArgsSchema, location="json", required=False)
@blp.response(200, MdmSyncStocksSchema)
@require_role(Role.OPERATOR)
def sync_stocks(args: dict[str, Any]):
    """Run the stock MERGE for one source (body {"sourceCode": n}) or all (no body)."""
    return _merge(args.get("sourceCode"))


@blp.route("/sync-stocks", methods=["POST"])
@_reads_mdm
@blp.response(200, MdmSyncStocksSchema)
@require_role(Role.OPERATOR)
def sync_stocks_dashboard():
    """The dashboard's bodiless "Sync Stocks" step: the MERGE for all sources."""
    return _merge(None)


def _merge(source_code: int | None) -> dict[str, Any]:
    result = merge_stock_changes(get_mdm_engine(), source_code)
    invalidate_mdm_cache()
    scope = f"source {source_code}" if source_code is not None else "all sources"
    return {"success": True,
            "message": f"Stock merge for {scope}: {result.inserted} inserted, {result.updated} updated",
            "data": {"sourceCode": source_code, **result.as_dict()}}
