"""MSI: source items (all-or-nothing save), sources, stocks and stock-source links."""
from __future__ import annotations

from .. import search
from ..book_index import key_sorted_search
from ..errors import MagentoError, aggregate
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
from ..state import sku_key

SOURCE_RESOURCE = "Magento_InventoryApi::source"
STOCK_RESOURCE = "Magento_InventoryApi::stock"
ITEM_TYPE = "Magento\\InventoryApi\\Api\\Data\\SourceItemInterface"
_ITEM_FIELDS = {"sku", "source_code", "quantity", "status", "extension_attributes"}
ALLOWED_STATUSES = (0, 1)
SOURCE_ITEM_KEY = frozenset({"sku", "source_code"})  # a source item's key: a sort on them needs no re-sort
CANNOT_BE_EMPTY = '"%field" can not be empty.'


def _parse_items(ctx: Ctx, param: str = "sourceItems") -> list[dict]:
    require(ctx.body, param)
    rows = as_list(ctx.body[param], ITEM_TYPE)
    check_array_limit(rows, ITEM_TYPE, ctx.array_limit())
    items = []
    for row in rows:
        if not isinstance(row, dict):
            raise MagentoError(400, 'Invalid type for value: "%value". Expected Type: "%type".',
                               {"value": str(row), "type": ITEM_TYPE})
        reject_unknown(row, _ITEM_FIELDS)
        items.append({"sku": as_str(row.get("sku")), "source_code": as_str(row.get("source_code")),
                      "quantity": as_float(row.get("quantity")), "status": as_int(row.get("status"))})
    return items


def _validate(ctx: Ctx, item: dict) -> list[tuple[str, dict]]:
    """SourceItemValidatorChain for one item (sku, source_code, quantity, status)."""
    errs: list[tuple[str, dict]] = []
    sku = item["sku"] or ""
    if sku.strip() == "":
        errs.append((CANNOT_BE_EMPTY, {"field": "sku"}))
    elif sku != sku.strip():
        errs.append(('"%field" can not contain leading or trailing spaces.', {"field": "sku", "value": sku}))
    elif ctx.state.get_product(sku) is None:
        errs.append(("Product with requested %field: %value was was not found.", {"field": "sku", "value": sku}))
    code = item["source_code"] or ""
    if code.strip() == "":
        errs.append((CANNOT_BE_EMPTY, {"field": "source_code"}))
    elif any(c.isspace() for c in code):
        errs.append(('"%field" can not contain whitespaces.', {"field": "source_code"}))
    if item["quantity"] is None:
        errs.append(('"%field" should be numeric.', {"field": "quantity"}))
    if item["status"] is None:
        errs.append(('"%field" should be numeric.', {"field": "status"}))
    elif item["status"] not in ALLOWED_STATUSES:
        errs.append(('"%field" should a known status.', {"field": "status"}))  # sic, Magento's wording
    return errs


def save_source_items(ctx: Ctx) -> None:
    items = _parse_items(ctx)
    if not items:
        raise MagentoError(400, "Input data is empty")
    state = ctx.state
    with state.lock:
        errs = [e for item in items for e in _validate(ctx, item)]
        if errs:
            # ValidationException("Validation Failed") aggregating every item's errors.
            raise aggregate("Validation Failed", errs)
        if any(item["source_code"] not in state.sources for item in items):
            # SaveMultiple hits the foreign key; the handler re-throws a generic message.
            raise MagentoError(400, "Could not save Source Item")
        for item in items:
            product = state.get_product(item["sku"])
            state.source_items[(sku_key(item["sku"]), item["source_code"])] = {
                "sku": product["sku"], "source_code": item["source_code"], "quantity": item["quantity"],
                "status": item["status"]}


def delete_source_items(ctx: Ctx) -> None:
    items = _parse_items(ctx)
    if not items:
        raise MagentoError(400, "Input data is empty")
    with ctx.state.lock:
        for item in items:
            ctx.state.source_items.pop((sku_key(item["sku"] or ""), item["source_code"] or ""), None)


def list_source_items(ctx: Ctx) -> dict:
    crit = ctx.criteria()
    with ctx.state.lock:
        # Page the stored rows, copy only the page: a crawl of 240,000 items must not copy them per page,
        # nor sort them again when it pages on the key (book_index.key_sorted_search).
        result = key_sorted_search(ctx.state.source_items, crit, SOURCE_ITEM_KEY) \
            or search.apply(list(ctx.state.source_items.values()), crit)
        result["items"] = [dict(row) for row in result["items"]]
    return result


def list_sources(ctx: Ctx) -> dict:
    crit = ctx.criteria()
    with ctx.state.lock:
        rows = [dict(s) for s in ctx.state.sources.values()]
    return search.apply(rows, crit)


def get_source(ctx: Ctx, sourceCode: str) -> dict:
    with ctx.state.lock:
        source = ctx.state.sources.get(sourceCode)
        if source is None:
            raise MagentoError(404, 'Source with code "%value" does not exist.', {"value": sourceCode})
        return dict(source)


def _public_stock(stock: dict) -> dict:
    return {k: v for k, v in stock.items() if not k.startswith("_")}


def list_stocks(ctx: Ctx) -> dict:
    crit = ctx.criteria()
    with ctx.state.lock:
        rows = [_public_stock(s) for s in ctx.state.stocks.values()]
    return search.apply(rows, crit)


def get_stock(ctx: Ctx, stockId: str) -> dict:
    stock_id = as_int(stockId)
    with ctx.state.lock:
        stock = ctx.state.stocks.get(stock_id)
        if stock is None:
            raise MagentoError(404, 'Stock with id "%value" does not exist.', {"field": "stock_id",
                                                                              "value": str(stockId)})
        return _public_stock(stock)


def list_stock_source_links(ctx: Ctx) -> dict:
    crit = ctx.criteria()
    with ctx.state.lock:
        rows = [{"stock_id": s["stock_id"], "source_code": code, "priority": i}
                for s in ctx.state.stocks.values() for i, code in enumerate(s["_source_codes"], start=1)]
    return search.apply(rows, crit)


def register(sync: Router, bulk: Router) -> None:
    sync.add("POST", "V1/inventory/source-items", SOURCE_RESOURCE)(save_source_items)
    sync.add("POST", "V1/inventory/source-items-delete", SOURCE_RESOURCE)(delete_source_items)
    sync.add("GET", "V1/inventory/source-items", SOURCE_RESOURCE)(list_source_items)
    sync.add("GET", "V1/inventory/sources", SOURCE_RESOURCE)(list_sources)
    sync.add("GET", "V1/inventory/sources/:sourceCode", SOURCE_RESOURCE)(get_source)
    sync.add("GET", "V1/inventory/stocks", STOCK_RESOURCE)(list_stocks)
    sync.add("GET", "V1/inventory/stocks/:stockId", STOCK_RESOURCE)(get_stock)
    sync.add("GET", "V1/inventory/stock-source-links", STOCK_RESOURCE)(list_stock_source_links)
