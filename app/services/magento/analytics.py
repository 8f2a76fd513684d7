"""The seven dashboard charts: Magento data read page by page (every page), cached in `analytics`.

Datasets (all products, the category tree, brand options, attributes, the sales window's orders, all
source items) are fetched once per TTL and shared by the charts; a per-process lock keeps the seven
simultaneous chart calls of the dashboard from paging through Magento seven times.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

from flask import current_app

from app.adapters.magento import get_magento_client
from app.errors import UpstreamHTTPError
from app.services.cache import get_cache
from app.services.magento import charts
from app.services.magento.proxy import ANALYTICS_NAMESPACE

BRAND_ATTRIBUTE = "mgs_brand"
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


def _cached(key: str, producer: Callable[[], Any]) -> Any:
    """The cached value, or produce it once per process while other threads wait for it."""
    cache = get_cache()
    value = cache.get(ANALYTICS_NAMESPACE, key)
    if value is not None:
        return value
    with _lock(key):
        value = cache.get(ANALYTICS_NAMESPACE, key)
        if value is None:
            value = producer()
            cache.set(ANALYTICS_NAMESPACE, key, value)
    return value


def _page_size() -> int:
    return max(1, min(300, current_app.config["SETTINGS"].magento_analytics_page_size))  # Magento's max is 300


def _by_id(field: str) -> dict[str, Any]:
    # A stable order on a unique field, so no row moves between pages while we read them.
    return {"sortOrders": [{"field": field, "direction": "ASC"}]}


# -- datasets ------------------------------------------------------------------------------------------
def products() -> list[dict[str, Any]]:
    def fetch() -> list[dict[str, Any]]:
        client = get_magento_client()
        return [charts.slim_product(p) for p in client.iterate_search("V1/products", _page_size(), _by_id("entity_id"))]
    return _cached("dataset:products", fetch)


def category_tree() -> dict[str, dict[str, Any]]:
    return _cached("dataset:categories", lambda: charts.flatten_tree(get_magento_client().request("GET", "V1/categories")))


def brand_options() -> list[dict[str, Any]]:
    def fetch() -> list[dict[str, Any]]:
        try:
            options = get_magento_client().request("GET", f"V1/products/attributes/{BRAND_ATTRIBUTE}/options")
        except UpstreamHTTPError as exc:
            if exc.status == 404:  # a shop without the brand extension: no brands, not an error
                return []
            raise
        return [{"value": o.get("value"), "label": o.get("label")} for o in options or []]
    return _cached("dataset:brands", fetch)


def attributes() -> list[dict[str, Any]]:
    def fetch() -> list[dict[str, Any]]:
        items = get_magento_client().iterate_search("V1/products/attributes", _page_size(), _by_id("attribute_id"))
        return [{"attribute_code": a.get("attribute_code"), "default_frontend_label": a.get("default_frontend_label")}
                for a in items]
    return _cached("dataset:attributes", fetch)


def sales_window(now: dt.datetime | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """(the months of the chart, the orders created in them)."""
    months = max(1, current_app.config["SETTINGS"].magento_sales_months)
    now = now or dt.datetime.now(dt.UTC)
    periods = charts.month_periods(now, months)
    start = f"{periods[0]}-01 00:00:00"

    def fetch() -> list[dict[str, Any]]:
        criteria = {**_by_id("entity_id"), "filter_groups": [
            {"filters": [{"field": "created_at", "value": start, "condition_type": "gteq"}]}]}
        items = get_magento_client().iterate_search("V1/orders", _page_size(), criteria)
        return [charts.slim_order(o) for o in items]
    return periods, _cached(f"dataset:orders:{start}", fetch)


def source_items() -> list[dict[str, Any]]:
    def fetch() -> list[dict[str, Any]]:
        # Sorted by sku then source: the pair is the key of a source item.
        criteria = {"sortOrders": [{"field": "sku", "direction": "ASC"}, {"field": "source_code", "direction": "ASC"}]}
        items = get_magento_client().iterate_search("V1/inventory/source-items", _page_size(), criteria)
        return [charts.slim_source_item(i) for i in items]
    return _cached("dataset:source-items", fetch)


# -- charts (each raises UpstreamHTTPError / UpstreamUnavailable / UpstreamTimeout from Magento) ----------
def products_stats() -> list[dict[str, Any]]:
    return _cached("chart:products-stats", lambda: charts.products_stats(products()))


def products_types() -> list[dict[str, Any]]:
    return _cached("chart:products-types", lambda: charts.products_types(products()))


def brands_distribution() -> list[dict[str, Any]]:
    return _cached("chart:brands", lambda: charts.brands_distribution(products(), brand_options()))


def categories_distribution() -> list[dict[str, Any]]:
    return _cached("chart:categories", lambda: charts.categories_distribution(products(), category_tree()))


def attribute_fill() -> list[dict[str, Any]]:
    return _cached("chart:attributes", lambda: charts.attribute_fill(products(), attributes()))


def sales_performance() -> list[dict[str, Any]]:
    periods, orders = sales_window()
    return _cached(f"chart:sales:{periods[-1]}", lambda: charts.sales_performance(orders, periods))


def inventory_status() -> list[dict[str, Any]]:
    low = current_app.config["SETTINGS"].magento_low_stock_qty
    return _cached("chart:inventory", lambda: charts.inventory_status(products(), source_items(), category_tree(), low))
