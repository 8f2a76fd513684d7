"""Product model: validating a product body, upserting it, and rendering it like ProductRepository."""
from __future__ import annotations

from typing import Any

from . import errors
from .errors import MagentoError
from .inputs import as_bool, as_float, as_int, as_str, reject_unknown
from .state import (
    SandboxState,
    custom_attribute,
    now_str,
    set_custom_attribute,
    sku_key,
)

PRODUCT_FIELDS = frozenset({
    "id", "sku", "name", "attribute_set_id", "price", "status", "visibility", "type_id", "created_at",
    "updated_at", "weight", "extension_attributes", "product_links", "options", "media_gallery_entries",
    "tier_prices", "custom_attributes",
})
EXTENSION_FIELDS = frozenset({
    "website_ids", "category_links", "stock_item", "bundle_product_options", "configurable_product_options",
    "configurable_product_links", "downloadable_product_links", "downloadable_product_samples",
    "giftcard_amounts",
})
PRODUCT_TYPES = {"simple", "virtual", "configurable", "bundle", "downloadable", "grouped"}
# Base prices are refused for these types (BasePriceStorage::$allowedProductTypes excludes them).
NO_BASE_PRICE_TYPES = {"configurable", "grouped"}
DEFAULT_ATTRIBUTE_SET_ID = 4
# A product save reports the frontend label of the first empty required attribute.
_REQUIRED_LABELS = (("name", "Product Name"), ("price", "Price"))


def _check_body(data: Any) -> dict:
    if not isinstance(data, dict):
        raise errors.invalid_type(data, "Magento\\Catalog\\Api\\Data\\ProductInterface")
    reject_unknown(data, PRODUCT_FIELDS)
    ext = data.get("extension_attributes")
    if ext is not None:
        if not isinstance(ext, dict):
            raise errors.invalid_type(ext, "Magento\\Catalog\\Api\\Data\\ProductExtensionInterface")
        reject_unknown(ext, EXTENSION_FIELDS)
    attrs = data.get("custom_attributes")
    if attrs is not None:
        if not isinstance(attrs, list):
            raise errors.invalid_type(attrs, "Magento\\Framework\\Api\\AttributeInterface[]")
        for attr in attrs:
            if not isinstance(attr, dict) or "attribute_code" not in attr:
                raise errors.required("attribute_code")
    return data


def _convert_scalars(data: dict) -> dict:
    out: dict[str, Any] = {}
    for key in ("sku", "name", "type_id"):
        if key in data:
            out[key] = as_str(data[key])
    for key in ("attribute_set_id", "status", "visibility"):
        if key in data:
            out[key] = as_int(data[key])
    for key in ("price", "weight"):
        if key in data:
            out[key] = as_float(data[key])
    return out


def validate_product_body(data: Any) -> dict:
    """Type checks done while deserialising the request (400/500 before anything is saved)."""
    data = _check_body(data)
    _convert_scalars(data)
    return data


def save_product(state: SandboxState, data: dict, *, url_sku: str | None = None) -> dict:
    """ProductRepository::save: upsert by SKU (never 409). Caller holds the state lock."""
    data = validate_product_body(data)
    scalars = _convert_scalars(data)
    if url_sku is not None:
        scalars["sku"] = url_sku  # PUT /V1/products/{sku}: the URL SKU overrides the body's
    sku = (scalars.get("sku") or "").strip()
    if not sku:
        raise MagentoError(400, 'The "%1" attribute value is empty. Set the attribute and try again.', ["SKU"])
    if len(sku) > 64:
        raise MagentoError(400, 'SKU length should be %1 characters maximum.', ["64"])
    existing = state.get_product(sku)
    type_id = scalars.get("type_id") or (existing or {}).get("type_id") or "simple"
    if type_id not in PRODUCT_TYPES:
        raise MagentoError(400, 'Invalid value of "%value" provided for the %fieldName field.',
                           {"fieldName": "type_id", "value": type_id})
    stamp = now_str()
    if existing is None:
        for code, label in _REQUIRED_LABELS:
            if code == "price" and type_id in NO_BASE_PRICE_TYPES:
                continue
            if scalars.get(code) in (None, ""):
                raise MagentoError(400, 'The "%1" attribute value is empty. Set the attribute and try again.',
                                   [label])
        product = {
            "id": state.next_product_id, "sku": sku, "name": "", "attribute_set_id": DEFAULT_ATTRIBUTE_SET_ID,
            "price": 0.0, "status": 1, "visibility": 4, "type_id": type_id, "created_at": stamp,
            "updated_at": stamp, "extension_attributes": {"website_ids": [1], "category_links": []},
            "product_links": [], "options": [], "media_gallery_entries": [], "tier_prices": [],
            "custom_attributes": [],
        }
        state.next_product_id += 1
        state.products[sku_key(sku)] = product
    else:
        product = existing
    scalars.pop("sku", None)
    for key, value in scalars.items():
        if value is not None:
            product[key] = value
    product["type_id"] = type_id
    if type_id in {"virtual", "configurable"}:
        product.pop("weight", None)
    product["updated_at"] = stamp
    ext = data.get("extension_attributes") or {}
    if "website_ids" in ext:
        product["extension_attributes"]["website_ids"] = [as_int(w) for w in ext["website_ids"]]
    if "category_links" in ext:
        product["extension_attributes"]["category_links"] = [
            {"position": as_int(link.get("position")) or 0, "category_id": as_str(link.get("category_id"))}
            for link in ext["category_links"]
        ]
        set_custom_attribute(product, "category_ids",
                             [link["category_id"] for link in product["extension_attributes"]["category_links"]])
    if "stock_item" in ext and isinstance(ext["stock_item"], dict):
        _apply_stock_item(state, product, ext["stock_item"])
    for attr in data.get("custom_attributes") or []:
        value = attr.get("value")
        set_custom_attribute(product, str(attr["attribute_code"]),
                             value if isinstance(value, list) else as_str(value))
    if custom_attribute(product, "url_key") is None:
        set_custom_attribute(product, "url_key", f"{product['name']}-{sku}".lower().replace(" ", "-"))
    return product


def _apply_stock_item(state: SandboxState, product: dict, stock_item: dict) -> None:
    qty = as_float(stock_item.get("qty"))
    in_stock = as_bool(stock_item.get("is_in_stock"))
    key = (sku_key(product["sku"]), "default")
    item = state.source_items.get(key) or {"sku": product["sku"], "source_code": "default",
                                            "quantity": 0.0, "status": 0}
    if qty is not None:
        item["quantity"] = qty
    if in_stock is not None:
        item["status"] = 1 if in_stock else 0
    state.source_items[key] = item


def stock_item(state: SandboxState, product: dict) -> dict:
    """The legacy cataloginventory stock item (stock 1) derived from the 'default' source item."""
    qty, in_stock = state.legacy_qty(product["sku"])
    return {
        "item_id": product["id"], "product_id": product["id"], "stock_id": 1, "qty": qty,
        "is_in_stock": in_stock, "is_qty_decimal": False, "show_default_notification_message": False,
        "use_config_min_qty": True, "min_qty": 0, "use_config_min_sale_qty": 1, "min_sale_qty": 1,
        "use_config_max_sale_qty": True, "max_sale_qty": 10000, "use_config_backorders": True,
        "backorders": 0, "use_config_notify_stock_qty": True, "notify_stock_qty": 1,
        "use_config_qty_increments": True, "qty_increments": 0, "use_config_enable_qty_inc": True,
        "enable_qty_increments": False, "use_config_manage_stock": True, "manage_stock": True,
        "low_stock_date": None, "is_decimal_divided": False, "stock_status_changed_auto": 0,
    }


def render_product(state: SandboxState, product: dict, *, with_stock: bool) -> dict:
    """A deep-enough copy for the response; single GET adds the stock_item extension attribute."""
    out = dict(product)
    out["extension_attributes"] = dict(product["extension_attributes"])
    out["custom_attributes"] = [dict(a) for a in product["custom_attributes"]]
    out["media_gallery_entries"] = [dict(m) for m in product["media_gallery_entries"]]
    if with_stock and product["type_id"] != "configurable":
        # low_stock_date stays null like Magento renders it (its swagger wrongly says string)
        out["extension_attributes"]["stock_item"] = stock_item(state, product)
    return out


def product_field(product: dict, name: str) -> Any:
    """Field accessor for searchCriteria: entity columns, then EAV custom attributes."""
    if name in ("entity_id",):
        return product["id"]
    if name == "category_id":
        return [link["category_id"] for link in product["extension_attributes"].get("category_links", [])]
    if name in product and name not in ("custom_attributes", "extension_attributes"):
        return product[name]
    return custom_attribute(product, name)
