"""The snapshot job's working set and the datasets computed from it (I/O-free: state in, rows out).

The working set keeps per-entity aggregates, so an incremental refresh merges correctly: products by
entity id, the sales window's orders by entity id, source items per (source, SKU). Each group records when
it was read (`readAt`) and the highest Magento `updated_at` it saw (`watermark`, the shop's own clock: the
next refresh asks for `updated_at >= watermark`, so clock skew between hosts cannot lose a change).

Each dataset's `as_of` is the oldest `readAt` of the groups it is computed from: `inventory/status` after a
one-source refresh is as old as the oldest source read.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from app.services.magento import charts

STATE_NAME = "_state"  # the working set's snapshot name (never served)
STATE_VERSION = 1
GROUPS = ("catalog", "sales", "inventory")
RECENT_DAYS = 30  # the dashboard's "recent" revenue window
DEPENDS: dict[str, tuple[str, ...]] = {
    "products/stats": ("catalog",),
    "products/types": ("catalog",),
    "brands/distribution": ("catalog",),
    "categories/distribution": ("catalog",),
    "products/attributes": ("catalog",),
    "sales/performance": ("sales",),
    "inventory/status": ("catalog", "inventory"),
    "dashboard/stats": ("counts", "sales"),
}
DATASETS = tuple(DEPENDS)
MAGENTO_TIME = "%Y-%m-%d %H:%M:%S"


def empty_state() -> dict[str, Any]:
    return {"version": STATE_VERSION, "fullAt": None,
            "catalog": {"readAt": None, "watermark": None, "products": {}, "tree": {}, "brands": [], "attributes": []},
            "sales": {"readAt": None, "watermark": None, "start": None, "orders": {}},
            "inventory": {"sources": {}, "readAt": {}},
            "counts": {"readAt": None}}


def usable(state: Any) -> bool:
    """A stored working set this code can merge into (else the job rebuilds it in full)."""
    return isinstance(state, dict) and state.get("version") == STATE_VERSION


def iso(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=dt.UTC).isoformat(timespec="seconds")


def parse_iso(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC).replace(tzinfo=None)


# -- merging --------------------------------------------------------------------------------------------
def watermark(items: Iterable[Mapping[str, Any]], current: str | None) -> str | None:
    """The highest `updated_at` among `items` and `current` (Magento's "YYYY-MM-DD HH:MM:SS", UTC)."""
    stamps = [str(i.get("updated_at")) for i in items if i.get("updated_at")]
    if current:
        stamps.append(current)
    return max(stamps) if stamps else None


def merge_by_id(existing: Mapping[str, dict[str, Any]], updates: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Existing records with `updates` replacing (or adding) the ones of the same id."""
    merged = dict(existing)
    for record in updates:
        merged[record["id"]] = record
    return merged


def sales_start(now: dt.datetime, months: int) -> str:
    """Start of the sales window: the first chart month, or RECENT_DAYS back if that is earlier."""
    first = f"{charts.month_periods(now, max(1, months))[0]}-01 00:00:00"
    recent = (now - dt.timedelta(days=RECENT_DAYS)).strftime(MAGENTO_TIME)
    return min(first, recent)


def trim_orders(orders: Mapping[str, dict[str, Any]], start: str) -> dict[str, dict[str, Any]]:
    """Orders created at or after `start` (the window moves with the calendar)."""
    return {key: order for key, order in orders.items() if order["created_at"] >= start}


def source_item_map(items: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, list[float]]]:
    """Slim source items -> {source_code: {sku: [quantity, status]}}."""
    out: dict[str, dict[str, list[float]]] = {}
    for item in items:
        out.setdefault(item["source_code"], {})[item["sku"]] = [item["quantity"], item["status"]]
    return out


def source_items(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"sku": sku, "source_code": code, "quantity": pair[0], "status": int(pair[1])}
            for code, skus in state["inventory"]["sources"].items() for sku, pair in skus.items()]


# -- datasets -------------------------------------------------------------------------------------------
def group_read_at(state: Mapping[str, Any], group: str) -> str | None:
    """When `group` was last read (for inventory: its oldest source), or None if never."""
    if group == "inventory":
        # readAt["*"]: the last read of every source; readAt[code]: a later read of that source alone.
        read_at: dict[str, str] = state["inventory"]["readAt"]
        base = read_at.get("*")
        if base is None:
            return None
        return min([read_at.get(code, base) for code in state["inventory"]["sources"]] or [base])
    read: str | None = state[group]["readAt"]
    return read


def as_of(state: Mapping[str, Any], name: str) -> str | None:
    """The oldest read time among the groups `name` is computed from; None while one was never read."""
    stamps = [group_read_at(state, group) for group in DEPENDS[name]]
    read = [s for s in stamps if s is not None]
    return None if len(read) < len(stamps) else min(read)


def dashboard_stats(state: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The dashboard's totals (count calls of the build) and its recent revenue (the sales working set)."""
    since = (now - dt.timedelta(days=RECENT_DAYS)).strftime(MAGENTO_TIME)
    recent = [o for o in state["sales"]["orders"].values()
              if o["created_at"] >= since and o["status"] not in charts.NOT_COUNTED_ORDER_STATUSES]
    counts = state["counts"]
    return {key: int(counts.get(key) or 0) for key in
            ("totalProducts", "enabledProducts", "totalOrders", "pendingOrders", "totalCustomers")} | {
        "recentOrders": len(recent), "recentRevenue": round(sum(o["grand_total"] for o in recent), 2),
        "recentDays": RECENT_DAYS}


def compute(state: Mapping[str, Any], now: dt.datetime, *, months: int, low_stock_qty: float) -> dict[str, Any]:
    """Every dataset whose inputs have been read: {name: rows (or the stats object)}."""
    catalog = state["catalog"]
    products = list(catalog["products"].values())
    tree = catalog["tree"]
    producers: dict[str, Callable[[], Any]] = {
        "products/stats": lambda: charts.products_stats(products),
        "products/types": lambda: charts.products_types(products),
        "brands/distribution": lambda: charts.brands_distribution(products, catalog["brands"]),
        "categories/distribution": lambda: charts.categories_distribution(products, tree),
        "products/attributes": lambda: charts.attribute_fill(products, catalog["attributes"]),
        "sales/performance": lambda: charts.sales_performance(state["sales"]["orders"].values(),
                                                              charts.month_periods(now, max(1, months))),
        "inventory/status": lambda: charts.inventory_status(products, source_items(state), tree, low_stock_qty),
        "dashboard/stats": lambda: dashboard_stats(state, now),
    }
    return {name: produce() for name, produce in producers.items() if as_of(state, name) is not None}
