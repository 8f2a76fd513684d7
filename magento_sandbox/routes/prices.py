"""POST /V1/products/base-prices: partial success, answering the list of failed rows."""
from __future__ import annotations

from ..catalog import NO_BASE_PRICE_TYPES
from ..errors import invalid_type
from ..inputs import (
    as_float,
    as_int,
    as_list,
    as_str,
    check_array_limit,
    reject_unknown,
    require,
)
from ..router import Router
from ..sandbox import Ctx
from ..state import now_str

RESOURCE = "Magento_Catalog::catalog"
PRICE_TYPE = "Magento\\Catalog\\Api\\Data\\BasePriceInterface"
INVALID_ATTRIBUTE = "Invalid attribute %fieldName = %fieldValue."
STORE_NOT_FOUND = "Requested store is not found. Row ID: SKU = %SKU, Store ID: %storeId."
_FIELDS = {"price", "store_id", "sku", "extension_attributes"}


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def update_base_prices(ctx: Ctx) -> list[dict]:
    require(ctx.body, "prices")
    rows = as_list(ctx.body["prices"], PRICE_TYPE)
    check_array_limit(rows, PRICE_TYPE, ctx.array_limit())
    parsed = []
    for row in rows:  # deserialisation errors fail the whole call before any validation
        if not isinstance(row, dict):
            raise invalid_type(row, PRICE_TYPE)
        reject_unknown(row, _FIELDS)
        parsed.append((as_str(row.get("sku")), as_float(row.get("price")), as_int(row.get("store_id"))))
    failures: list[dict] = []
    state = ctx.state
    with state.lock:
        valid = []
        for sku, price, store_id in parsed:
            ok = True
            product = state.get_product(sku) if sku else None
            if product is None or product["type_id"] in NO_BASE_PRICE_TYPES:
                failures.append({"message": INVALID_ATTRIBUTE, "parameters": ["SKU", _fmt(sku)]})
                ok = False
            if price is None or price < 0:
                failures.append({"message": INVALID_ATTRIBUTE, "parameters": ["Price", _fmt(price)]})
                ok = False
            if store_id is None or store_id not in state.store_ids:
                failures.append({"message": STORE_NOT_FOUND, "parameters": [_fmt(sku), _fmt(store_id)]})
                ok = False
            if ok:
                valid.append((product, price))
        stamp = now_str()
        for product, price in valid:
            product["price"] = price
            product["updated_at"] = stamp
    return failures


def register(sync: Router, bulk: Router) -> None:
    sync.add("POST", "V1/products/base-prices", RESOURCE)(update_base_prices)
