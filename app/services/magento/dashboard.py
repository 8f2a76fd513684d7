"""The dashboard's numbers and recent lists, read from Magento (namespace `dashboard`), and its health.

Counts come from searchCriteria `total_count` (one row fetched); revenue from the orders of the last
REVENUE_DAYS (30) days, every page read. Nothing is invented when Magento cannot answer: the
client's UpstreamUnavailable / UpstreamTimeout propagate (503/504).
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from flask import current_app

from app.adapters.magento import get_magento_client
from app.services.cache import get_cache
from app.services.magento.proxy import DASHBOARD_NAMESPACE

REVENUE_DAYS = 30
LIST_FIELDS = {
    "orders": ("entity_id", "increment_id", "status", "customer_firstname", "customer_lastname", "customer_email",
               "grand_total", "order_currency_code", "total_qty_ordered", "created_at"),
    "products": ("id", "sku", "name", "price", "status", "type_id", "created_at", "updated_at"),
    "customers": ("id", "firstname", "lastname", "email", "created_at"),
}
LIST_ROUTES = {"orders": "V1/orders", "products": "V1/products", "customers": "V1/customers/search"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def cached(key: str, producer: Callable[[], Any]) -> tuple[Any, bool]:
    """(value, served_from_cache) in the `dashboard` namespace."""
    cache = get_cache()
    value = cache.get(DASHBOARD_NAMESPACE, key)
    if value is not None:
        return value, True
    value = producer()
    cache.set(DASHBOARD_NAMESPACE, key, value)
    return value, False


def _count(route: str, filters: list[dict[str, Any]] | None = None) -> int:
    criteria: dict[str, Any] = {"pageSize": 1, "currentPage": 1}
    if filters:
        criteria["filter_groups"] = [{"filters": [f]} for f in filters]
    return int(get_magento_client().search(route, criteria).get("total_count") or 0)


def stats() -> dict[str, Any]:
    """Totals of products, enabled products, orders, pending orders and customers, and recent revenue."""
    since = (_now() - dt.timedelta(days=REVENUE_DAYS)).strftime("%Y-%m-%d %H:%M:%S")
    client = get_magento_client()
    recent = list(client.iterate_search(
        "V1/orders", current_app.config["SETTINGS"].magento_analytics_page_size,
        {"sortOrders": [{"field": "entity_id", "direction": "ASC"}],
         "filter_groups": [{"filters": [{"field": "created_at", "value": since, "condition_type": "gteq"}]}]}))
    counted = [o for o in recent if o.get("status") not in ("canceled", "closed")]
    return {
        "totalProducts": _count("V1/products"),
        "enabledProducts": _count("V1/products", [{"field": "status", "value": "1", "condition_type": "eq"}]),
        "totalOrders": _count("V1/orders"),
        "pendingOrders": _count("V1/orders", [{"field": "status", "value": "pending", "condition_type": "eq"}]),
        "totalCustomers": _count("V1/customers/search"),
        "recentOrders": len(counted),
        "recentRevenue": round(sum(float(o.get("grand_total") or 0) for o in counted), 2),
        "recentDays": REVENUE_DAYS,
    }


def recent(kind: str, limit: int) -> dict[str, Any]:
    """The `limit` newest orders, products or customers, with Magento's total count."""
    result = get_magento_client().search(LIST_ROUTES[kind], {
        "pageSize": limit, "currentPage": 1,
        "sortOrders": [{"field": "created_at", "direction": "DESC"}]})
    fields = LIST_FIELDS[kind]
    items = [{f: item.get(f) for f in fields if f in item} for item in result.get("items") or []]
    return {"items": items, "total": int(result.get("total_count") or 0)}


def health() -> dict[str, Any]:
    """Reach Magento now (never cached): an authenticated GET of the store configs, timed.

    Raises UpstreamUnavailable / UpstreamTimeout when Magento does not answer.
    """
    client = get_magento_client()
    started = time.perf_counter()
    configs = client.request("GET", "V1/store/storeConfigs")
    elapsed = round((time.perf_counter() - started) * 1000, 1)
    first = configs[0] if isinstance(configs, list) and configs else {}
    return {"magento": {"status": "up", "responseTimeMs": elapsed, "storeCount": len(configs or []),
                        "baseCurrency": first.get("base_currency_code"), "baseUrl": first.get("base_url")}}
