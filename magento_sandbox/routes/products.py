"""Products: search, get, upsert (POST and PUT), delete, legacy stock item, and the async bulk forms."""
from __future__ import annotations

from typing import Any

from flask import Response

from .. import errors, search
from ..bulk import BulkManager
from ..catalog import product_field, render_product, save_product, validate_product_body
from ..dispatch import json_response
from ..inputs import as_bool, as_float, as_list, check_array_limit, require
from ..router import Router
from ..sandbox import Ctx
from ..state import SandboxState, sku_key

RESOURCE = "Magento_Catalog::products"
PRODUCT_TYPE = "Magento\\Catalog\\Api\\Data\\ProductInterface"
SAVE_TOPIC = "async.magento.catalog.api.productrepositoryinterface.save.post"
SAVE_PUT_TOPIC = "async.magento.catalog.api.productrepositoryinterface.save.put"
SAVE_RESULT = "Service execution success Magento\\Catalog\\Model\\ProductRepository\\Interceptor::save"


def list_products(ctx: Ctx) -> dict:
    crit = ctx.criteria()
    with ctx.state.lock:
        rows = sorted(ctx.state.products.values(), key=lambda p: p["id"])
        result = search.apply(rows, crit, product_field)
        result["items"] = [render_product(ctx.state, p, with_stock=False) for p in result["items"]]
    return result


def get_product(ctx: Ctx, sku: str) -> dict:
    with ctx.state.lock:
        product = ctx.state.get_product(sku)
        if product is None:
            raise errors.product_not_found()
        return render_product(ctx.state, product, with_stock=True)


def create_product(ctx: Ctx) -> dict:
    require(ctx.body, "product")
    with ctx.state.lock:
        product = save_product(ctx.state, ctx.body["product"])
        return render_product(ctx.state, product, with_stock=True)


def update_product(ctx: Ctx, sku: str) -> dict:
    require(ctx.body, "product")
    with ctx.state.lock:
        product = save_product(ctx.state, ctx.body["product"], url_sku=sku)
        return render_product(ctx.state, product, with_stock=True)


def delete_product(ctx: Ctx, sku: str) -> bool:
    with ctx.state.lock:
        if ctx.state.get_product(sku) is None:
            raise errors.product_not_found()
        del ctx.state.products[sku_key(sku)]
        for key in [k for k in ctx.state.source_items if k[0] == sku_key(sku)]:
            del ctx.state.source_items[key]
    return True


def update_stock_item(ctx: Ctx, productSku: str, itemId: str) -> int:
    require(ctx.body, "stockItem")
    item = ctx.body["stockItem"]
    if not isinstance(item, dict):
        raise errors.invalid_type(item, "Magento\\CatalogInventory\\Api\\Data\\StockItemInterface")
    qty, in_stock = as_float(item.get("qty")), as_bool(item.get("is_in_stock"))
    with ctx.state.lock:
        product = ctx.state.get_product(productSku)
        if product is None:
            raise errors.product_not_found()
        key = (sku_key(product["sku"]), "default")
        row = ctx.state.source_items.get(key) or {"sku": product["sku"], "source_code": "default",
                                                  "quantity": 0.0, "status": 0}
        if qty is not None:
            row["quantity"] = qty
        if in_stock is not None:
            row["status"] = 1 if in_stock else 0
        ctx.state.source_items[key] = row
        return product["id"]


# -- async bulk ------------------------------------------------------------------------------------
def _elements(ctx: Ctx) -> list:
    body: Any = ctx.body
    elements = list(body.values()) if isinstance(body, dict) else as_list(body, "request")
    check_array_limit(elements, PRODUCT_TYPE, ctx.array_limit())
    for element in elements:
        # One bad element fails the whole request with 400 before anything is queued.
        require(element, "product")
        validate_product_body(element["product"])
    return elements


def _save_executor(state: SandboxState, element: dict) -> None:
    save_product(state, element["product"])


def _bulk(ctx: Ctx, topic: str) -> Response:
    elements = _elements(ctx)
    manager: BulkManager = ctx.sandbox.bulks
    body = manager.schedule(topic, f"Topic {topic}", elements, _save_executor, ctx.sandbox.faults.bulk_reject,
                            SAVE_RESULT)
    return json_response(body, status=202)


def bulk_create(ctx: Ctx) -> Any:
    return _bulk(ctx, SAVE_TOPIC)


def bulk_update_by_sku(ctx: Ctx) -> Any:
    return _bulk(ctx, SAVE_PUT_TOPIC)


def register(sync: Router, bulk: Router) -> None:
    sync.add("GET", "V1/products", RESOURCE)(list_products)
    sync.add("GET", "V1/products/:sku", RESOURCE)(get_product)
    sync.add("POST", "V1/products", RESOURCE)(create_product)
    sync.add("PUT", "V1/products/:sku", RESOURCE)(update_product)
    sync.add("DELETE", "V1/products/:sku", "Magento_Catalog::products")(delete_product)
    sync.add("PUT", "V1/products/:productSku/stockItems/:itemId", "Magento_CatalogInventory::cataloginventory")(
        update_stock_item)
    bulk.add("POST", "V1/products", RESOURCE)(bulk_create)
    bulk.add("PUT", "V1/products/bySku", RESOURCE)(bulk_update_by_sku)
