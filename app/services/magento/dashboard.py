"""The dashboard's recent lists, read from Magento (one page each, namespace `dashboard`), and its health.

The totals and recent revenue, which need every page of a month of orders, are a snapshot
(app/services/snapshots). Nothing is invented when Magento cannot answer: the client's
UpstreamUnavailable / UpstreamTimeout propagate (503/504).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from app.adapters.cache import get_cache
from app.adapters.magento import get_magento_client
from app.services.magento.proxy import DASHBOARD_NAMESPACE

LIST_FIELDS = {
    "orders": ("entity_id", "increment_id", "status", "customer_firstname", "customer_lastname", "customer_email",
               "grand_total", "order_currency_code", "total_qty_ordered", "created_at"),
    "products": ("id", "sku", "name", "price", "status", "type_id", "created_at", "updated_at"),
    "customers": ("id", "firstname", "lastname", "email", "created_at"),
}
LIST_ROUTES = {"orders": "V1/orders", "products": "V1/products", "customers": "V1/customers/search"}


def cached(key: str, producer: Callable[[], Any]) -> tuple[Any, bool]:
    """(value, served_from_cache) in the `dashboard` namespace."""
    cache = get_cache()
    value = cache.get(DASHBOARD_NAMESPACE, key)
    if value is not None:
        return value, True
    value = producer()
    cache.set(DASHBOARD_NAMESPACE, key, value)
    return value, False


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
