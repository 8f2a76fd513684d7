"""Magento REST addressing, I/O-free: the V1/ prefix rule, URL paths, query encoding, metric templates."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

# Every static path segment of the oracle (magento-2.4-rest-swagger.json) plus the /rest and /async
# prefixes. A segment outside this vocabulary is a parameter (SKU, id, uuid, code) in metric labels, so
# neither SKUs nor scanned junk paths can create new time series (tests check it against the oracle).
_ROUTE_WORDS = frozenset("""
    V1 activate add addresses admin adobestock all amazon amazon-billing-address amazon-shipping-address
    analytics apply asset assignCategories assignCompanies assignProducts assignRoles async
    attachmentContent attribute attribute-sets attributeMetadata attributes balance base-prices
    base-prices-information billing-address billingAddress bulk bulk-partial-source-transfer
    bulk-product-source-assign bulk-product-source-transfer bulk-product-source-unassign bundle-products
    cancel capture carts categories checkGiftCard child children cmsBlock cmsPage collect-totals
    comments companies company companyCredits configurable-products confirm cost cost-delete
    cost-information countries coupons create creditmemo creditmemos currency custom customer
    customerAddress customerGroups customers decline decreaseBalance default default-provider-code
    deleteByCodes deleteByIds detailed-status directory downloadable-links dump-stock-index-data eav
    emails estimate-shipping-methods estimate-shipping-methods-by-address-id export-stock-salable-qty
    forced-providers form generate get-distance get-distance-provider-code get-latlng-from-address
    get-product-salable-quantity get-sources-assigned-to-stock-ordered-by-priority gift-message
    gift-wrappings giftCards giftregistry group-prices groups guest-carts guest-giftregistry hierarchy
    history hold increaseBalance installed-providers integration inventory invoice invoices
    is-product-salable is-product-salable-for-requested-qty isEmailAvailable items label labels licence
    link links list low-quantity-notification low-quantity-notifications-delete lowStock me media mine
    modules move msp-2fa negotiable-carts negotiableQuote operation-status options order order-ref
    orders password payment-information payment-methods permissions price pricesUpdated products
    products-render-info providers-to-activate readonly refund request requisition_lists reset-provider
    resetLinkToken resetPassword rest returns returnsAttributeMetadata reward role salesRules samples
    search selected-payment-method set-payment-information sets sharedCatalog ship shipment shipments
    shipping-information shipping-methods shippingAddress shippingMethod source-items
    source-items-delete source-selection-algorithm-list source-selection-algorithm-result sources
    special-price special-price-delete special-price-information status statuses stock-resolver
    stock-source-links stock-source-links-delete stockItems stockStatuses stocks store storeConfigs
    storeGroups storeViews submitToCustomer taxClasses taxRates taxRules team tier-prices
    tier-prices-delete tier-prices-information tiers token totals totals-information track
    tracking-numbers transactions trusted-devices types unassignCategories unassignCompanies
    unassignProducts unhold use-reward user-providers users validate variation vertex-address
    vertex-address-validation void websites worldpay-guest-carts
""".split())  # noqa: SIM905 - one word list, easy to regenerate from the oracle

_MAX_TEMPLATE_SEGMENTS = 8
_SLASHES = re.compile(r"/{2,}")


def apply_prefix_rule(path: str) -> str:
    """Return the Magento route for `path` the way the original backend did.

    Leading slashes and repeated slashes are collapsed; `V1/` is prefixed unless the path already
    starts with `V1`, `rest/V1` (the `rest/` is dropped, the store code comes from config) or `async/`.
    """
    clean = _SLASHES.sub("/", path.strip()).lstrip("/")
    if clean.startswith("rest/V1/") or clean == "rest/V1":
        clean = clean[len("rest/"):]
    if clean == "V1" or clean.startswith(("V1/", "async/")):
        return clean
    return f"V1/{clean}"


def rest_path(base_path: str, store: str, route: str) -> str:
    """Absolute URL path `<base>/rest/<store>/<route>` (route already prefixed, e.g. `V1/products`)."""
    base = base_path.rstrip("/")
    base = base.removesuffix("/rest")  # accept MAGENTO_URL given with or without the /rest suffix
    return f"{base}/rest/{quote(store, safe='')}/{route}"


def async_bulk_route(route: str) -> str:
    """`V1/products` -> `async/bulk/V1/products` (Magento's asynchronous bulk endpoint for that route)."""
    return f"async/bulk/{apply_prefix_rule(route)}"


def segment(value: str | int) -> str:
    """Percent-encode one path parameter; SKUs may contain `/`, which Magento wants as %2F."""
    return quote(str(value), safe="")


def encode_query(params: Mapping[str, Any], prefix: str = "") -> str:
    """Encode nested params PHP-style, keeping brackets literal: `searchCriteria[pageSize]=20`.

    Dicts nest by key and lists by index; None is skipped and booleans become 1/0, as Magento reads them.
    """
    pairs: list[str] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        pairs.extend(_encode_value(name, value))
    return "&".join(pairs)


def _encode_value(name: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [encode_query(value, prefix=name)] if value else []
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        out: list[str] = []
        for index, item in enumerate(value):
            out.extend(_encode_value(f"{name}[{index}]", item))
        return out
    if isinstance(value, bool):
        value = int(value)
    return [f"{quote(name, safe='[]')}={quote(str(value), safe='')}"]


def endpoint_template(route: str) -> str:
    """Metric label for a route: static words kept, every other segment a placeholder, length capped.

    `V1/products/ABC-1/media` -> `V1/products/{sku}/media`; `V1/bulk/<uuid>/status` -> `V1/bulk/{id}/status`.
    """
    parts = route.split("?", 1)[0].strip("/").split("/")
    out: list[str] = []
    for index, part in enumerate(parts[:_MAX_TEMPLATE_SEGMENTS]):
        if part in _ROUTE_WORDS:
            out.append(part)
        elif index > 0 and parts[index - 1] == "products":
            out.append("{sku}")
        else:
            out.append("{id}")
    if len(parts) > _MAX_TEMPLATE_SEGMENTS:
        out.append("...")
    return "/".join(out)
