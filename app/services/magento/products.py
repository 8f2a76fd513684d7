"""Product routes Magento does not have: a product's categories (read, replace) and its extra attributes.

The frontend addresses products by Magento's numeric entity id; Magento's product routes take the SKU,
so the id is resolved with a one-row search first. Category assignment goes through the product's
`extension_attributes.category_links` (PUT V1/products/{sku}, an upsert Magento applies by SKU).
"""
from __future__ import annotations

from typing import Any

from app.adapters.cache import get_cache
from app.adapters.magento import get_magento_client
from app.adapters.magento.paths import segment
from app.errors import InvalidInput, NotFound
from app.services.magento import analytics, charts
from app.services.magento.proxy import ANALYTICS_NAMESPACE, invalidate

# Attributes that are plumbing, not information a person edits (shown elsewhere or meaningless alone).
HIDDEN_ATTRIBUTES = frozenset({"category_ids", "options_container", "required_options", "has_options",
                               "url_key", "description", "short_description"})


def _reference(key: str, fetch: Any) -> Any:
    """The category tree, attribute list or brand options: read live, kept in the shared cache (`analytics`
    namespace, cleared by product writes), so a product page costs one product search."""
    return get_cache().get_or_set(ANALYTICS_NAMESPACE, key, fetch)


def product_by_id(product_id: int) -> dict[str, Any]:
    """The Magento product with this entity id. Raises NotFound, or the client's upstream errors."""
    result = get_magento_client().search("V1/products", {
        "filter_groups": [{"filters": [{"field": "entity_id", "value": str(product_id), "condition_type": "eq"}]}],
        "pageSize": 1, "currentPage": 1})
    items = result.get("items") or []
    if not items:
        raise NotFound(f"No Magento product has id {product_id}.")
    product: dict[str, Any] = items[0]
    return product


def _links(product: dict[str, Any]) -> list[dict[str, Any]]:
    return list((product.get("extension_attributes") or {}).get("category_links") or [])


def categories(product_id: int) -> dict[str, Any]:
    """`{productId, sku, categories: [{id, name, level, parent_id, position}]}` from the product's links."""
    product = product_by_id(product_id)
    tree = _reference("categories", analytics.category_tree)
    rows = []
    for link in _links(product):
        cid = str(link.get("category_id"))
        node = tree.get(cid, {})
        rows.append({"id": cid, "name": node.get("name"), "level": node.get("level"),
                     "parent_id": node.get("parent_id"), "position": int(link.get("position") or 0)})
    return {"productId": product_id, "sku": product["sku"], "categories": rows}


def set_categories(product_id: int, category_ids: list[str]) -> dict[str, Any]:
    """Replace the product's category links; unknown category ids are refused before Magento is called.

    Raises InvalidInput, NotFound, or the client's upstream errors.
    """
    product = product_by_id(product_id)
    wanted = list(dict.fromkeys(str(c).strip() for c in category_ids))
    tree = _reference("categories", analytics.category_tree)
    unknown = [c for c in wanted if c not in tree]
    if unknown:
        raise InvalidInput("Unknown category ids.",
                           details={"categoryIds": [f"unknown category id {c}" for c in unknown]})
    positions = {str(link.get("category_id")): int(link.get("position") or 0) for link in _links(product)}
    links = [{"category_id": c, "position": positions.get(c, 0)} for c in wanted]
    body = {"product": {"sku": product["sku"], "extension_attributes": {"category_links": links}}}
    try:
        get_magento_client().request("PUT", f"V1/products/{segment(product['sku'])}", json_body=body)
    finally:
        invalidate("products")
    return categories(product_id)


def additional_attributes(product_id: int) -> dict[str, Any]:
    """`{productId, sku, additional_attributes: [{attribute_code, label, value}]}`; select values get
    their option label (e.g. the brand name for `mgs_brand`)."""
    product = product_by_id(product_id)
    labels = {a["attribute_code"]: a.get("default_frontend_label") or a["attribute_code"]
              for a in _reference("attributes", analytics.attributes) if a.get("attribute_code")}
    brands = {str(o["value"]): o["label"] for o in _reference("brands", analytics.brand_options)}
    rows = []
    for attr in product.get("custom_attributes") or []:
        code = attr.get("attribute_code")
        if not code or code in HIDDEN_ATTRIBUTES or not charts.is_filled(attr.get("value")):
            continue
        value = attr.get("value")
        row = {"attribute_code": code, "label": labels.get(code, code), "value": value}
        if code == analytics.BRAND_ATTRIBUTE:
            row["value_label"] = brands.get(str(value), value)
        rows.append(row)
    return {"productId": product_id, "sku": product["sku"], "additional_attributes": rows}
