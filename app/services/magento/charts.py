"""The dashboard charts' rows, computed from Magento records (I/O-free: records in, bare row lists out).

Each function returns the exact row shape the frontend's chart reads (frontend-contract.md):
products/stats, products/types, brands/distribution -> {name, value}; categories/distribution ->
{name, value, level, parent}; products/attributes -> {attribute, value}; sales/performance ->
{period, revenue, orders, customers}; inventory/status -> {category, inStock, lowStock, outOfStock,
totalValue}. The slim record builders keep only what the charts need, so the snapshot job's working set
(app/services/snapshots) stays small.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

STATUS_NAMES = {1: "enabled", 2: "disabled"}
# Merchandising flags the frontend's stats chart has colours for (boolean product attributes in the shop).
FLAG_ATTRIBUTES = ("trending", "best_seller", "a_la_une")
# Product fields that are attributes too (the attribute-fill chart counts them like custom attributes).
TOP_LEVEL_ATTRIBUTES = ("sku", "name", "price", "status", "visibility", "weight", "type_id", "attribute_set_id")
NOT_COUNTED_ORDER_STATUSES = frozenset({"canceled", "closed"})
UNCATEGORIZED = "Uncategorized"


# -- slim records ------------------------------------------------------------------------------------
def is_filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, dict)):
        return bool(value)
    return True


def slim_product(item: Mapping[str, Any]) -> dict[str, Any]:
    """What the charts use of one Magento product."""
    custom = {a.get("attribute_code"): a.get("value") for a in item.get("custom_attributes") or []
              if isinstance(a, Mapping)}
    links = ((item.get("extension_attributes") or {}).get("category_links") or [])
    category_ids = [str(link.get("category_id")) for link in links if isinstance(link, Mapping)]
    listed = custom.get("category_ids")
    if not category_ids and isinstance(listed, list):
        category_ids = [str(c) for c in listed]
    filled = [code for code in TOP_LEVEL_ATTRIBUTES if is_filled(item.get(code))]
    filled += [code for code, value in custom.items() if code and is_filled(value)]
    return {
        "id": str(item.get("id") or item.get("sku", "")),
        "sku": str(item.get("sku", "")),
        "type_id": str(item.get("type_id") or "simple"),
        "status": int(item.get("status") or 0),
        "price": float(item.get("price") or 0.0),
        "category_ids": category_ids,
        "brand": str(custom["mgs_brand"]) if is_filled(custom.get("mgs_brand")) else None,
        "flags": [flag for flag in FLAG_ATTRIBUTES if str(custom.get(flag, "")).strip() in ("1", "true")],
        "has_flag_attributes": any(flag in custom for flag in FLAG_ATTRIBUTES),
        "filled": filled,
    }


def slim_order(item: Mapping[str, Any]) -> dict[str, Any]:
    customer = item.get("customer_id") or item.get("customer_email") or f"guest-{item.get('entity_id')}"
    return {"id": str(item.get("entity_id") or item.get("increment_id") or ""),
            "created_at": str(item.get("created_at") or ""), "grand_total": float(item.get("grand_total") or 0.0),
            "status": str(item.get("status") or ""), "customer": str(customer)}


def slim_source_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {"sku": str(item.get("sku", "")), "source_code": str(item.get("source_code", "")),
            "quantity": float(item.get("quantity") or 0.0), "status": int(item.get("status") or 0)}


def flatten_tree(root: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Magento's category tree -> {id: {name, level, parent_id}} (ids as strings, like category links)."""
    out: dict[str, dict[str, Any]] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        out[str(node.get("id"))] = {"name": str(node.get("name") or ""), "level": int(node.get("level") or 0),
                                    "parent_id": str(node.get("parent_id")) if node.get("parent_id") else None}
        stack.extend(node.get("children_data") or [])
    return out


# -- charts --------------------------------------------------------------------------------------------
def _rows(counts: Counter[str]) -> list[dict[str, Any]]:
    return [{"name": name, "value": value} for name, value in counts.most_common()]


def products_stats(products: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Status counts, then type counts, then the merchandising flags (only if the shop has them)."""
    products = list(products)
    status = Counter({name: 0 for name in STATUS_NAMES.values()})
    status.update(STATUS_NAMES.get(p["status"], "disabled") for p in products)
    rows = [{"name": name, "value": status[name]} for name in STATUS_NAMES.values()]
    rows += _rows(Counter(p["type_id"] for p in products))
    if any(p["has_flag_attributes"] for p in products):
        flags = Counter({flag: 0 for flag in FLAG_ATTRIBUTES})
        flags.update(flag for p in products for flag in p["flags"])
        rows += [{"name": flag, "value": flags[flag]} for flag in FLAG_ATTRIBUTES]
        rows.append({"name": "normal", "value": sum(1 for p in products if not p["flags"])})
    return rows


def products_types(products: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return _rows(Counter(p["type_id"] for p in products))


def brands_distribution(products: Iterable[Mapping[str, Any]], options: Iterable[Mapping[str, Any]]
                        ) -> list[dict[str, Any]]:
    """Products per `mgs_brand` option, labelled with the option's label; most common first."""
    labels = {str(o.get("value")): str(o.get("label") or "").strip() for o in options if is_filled(o.get("value"))}
    counts = Counter(labels.get(p["brand"]) or p["brand"] for p in products if p["brand"])
    return _rows(counts)


def categories_distribution(products: Iterable[Mapping[str, Any]], tree: Mapping[str, Mapping[str, Any]]
                            ) -> list[dict[str, Any]]:
    """Products linked to each category (direct links), with its level and parent's name; value > 0."""
    counts = Counter(cid for p in products for cid in dict.fromkeys(p["category_ids"]))
    rows = []
    for cid, value in counts.most_common():
        node = tree.get(cid)
        if node is None:
            continue  # a link to a category outside the store's tree (another root)
        parent = tree.get(node["parent_id"] or "")
        rows.append({"name": node["name"], "value": value, "level": node["level"],
                     "parent": parent["name"] if parent else None})
    return rows


def attribute_fill(products: Iterable[Mapping[str, Any]], attributes: Iterable[Mapping[str, Any]]
                   ) -> list[dict[str, Any]]:
    """Share (%) of products with a value for each product attribute; fullest first."""
    products = list(products)
    if not products:
        return []
    filled = Counter(code for p in products for code in p["filled"])
    rows: list[dict[str, Any]] = []
    for attr in attributes:
        code = attr.get("attribute_code")
        if not code:
            continue
        label = str(attr.get("default_frontend_label") or code)
        rows.append({"attribute": label, "value": round(100.0 * filled[code] / len(products), 1)})
    rows.sort(key=lambda r: (-r["value"], r["attribute"]))
    return rows


def month_periods(now: dt.datetime, months: int) -> list[str]:
    """The `months` calendar months ending with `now`'s, oldest first, as YYYY-MM."""
    year, month = now.year, now.month
    out = []
    for _ in range(months):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def sales_performance(orders: Iterable[Mapping[str, Any]], periods: list[str]) -> list[dict[str, Any]]:
    """Revenue (sum of grand_total), order count and distinct customers per month; canceled excluded."""
    revenue: dict[str, float] = defaultdict(float)
    count: Counter[str] = Counter()
    customers: dict[str, set[str]] = defaultdict(set)
    for order in orders:
        if order["status"] in NOT_COUNTED_ORDER_STATUSES:
            continue
        period = order["created_at"][:7]
        revenue[period] += order["grand_total"]
        count[period] += 1
        customers[period].add(order["customer"])
    return [{"period": p, "revenue": round(revenue[p], 2), "orders": count[p], "customers": len(customers[p])}
            for p in periods]


def inventory_status(products: Iterable[Mapping[str, Any]], source_items: Iterable[Mapping[str, Any]],
                     tree: Mapping[str, Mapping[str, Any]], low_stock_qty: float) -> list[dict[str, Any]]:
    """SKUs in stock / low / out of stock and stock value (qty x price) per product category.

    A SKU's quantity is the sum over its sources of items with status 1 (in stock); SKUs without any
    source item (configurables) carry no stock and are left out.
    """
    qty: dict[str, float] = defaultdict(float)
    for item in source_items:
        if item["status"] == 1:
            qty[item["sku"]] += max(0.0, item["quantity"])
        else:
            qty.setdefault(item["sku"], 0.0)
    rows: dict[str, dict[str, Any]] = {}
    for product in products:
        if product["sku"] not in qty:
            continue
        names = [tree[c]["name"] for c in product["category_ids"] if c in tree]
        category = names[0] if names else UNCATEGORIZED
        row = rows.setdefault(category, {"category": category, "inStock": 0, "lowStock": 0, "outOfStock": 0,
                                         "totalValue": 0.0})
        amount = qty[product["sku"]]
        if amount <= 0:
            row["outOfStock"] += 1
        elif amount <= low_stock_qty:
            row["lowStock"] += 1
        else:
            row["inStock"] += 1
        row["totalValue"] += amount * product["price"]
    out = sorted(rows.values(), key=lambda r: -r["totalValue"])
    for row in out:
        row["totalValue"] = round(row["totalValue"], 2)
    return out
