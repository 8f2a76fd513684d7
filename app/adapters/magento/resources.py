"""Typed Magento operations the services use (search, products, prices, stock, media, bulk, login).

A mixin over `MagentoClient.request`, so every helper shares the client's one call path. Retry
flags follow Magento's semantics: product saves, base-prices and source-items are upserts by key
and may be replayed; async bulk and media uploads create new things and are not.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.adapters.magento.paths import async_bulk_route, segment


@dataclass(frozen=True)
class BulkAccepted:
    """Magento's 202 for an async bulk request: track `bulk_uuid` with `bulk_status`."""

    bulk_uuid: str
    request_items: list[dict[str, Any]]
    errors: bool


class MagentoResources:
    """Operations on top of `request(method, path, *, params, json_body, store, upsert, authenticated)`."""

    if TYPE_CHECKING:  # provided by MagentoClient, the class this mixin is combined with
        def request(self, method: str, path: str, *, params: Mapping[str, Any] | str | bytes | None = None,
                    json_body: Any = ..., store: str | None = None, upsert: bool = False,
                    authenticated: bool = True) -> Any: ...

        def _token_call(self, username: str, password: str, *, upsert: bool) -> str: ...

    # -- searchCriteria lists --------------------------------------------------------------------
    def search(self, path: str, criteria: Mapping[str, Any] | None = None, *,
               store: str | None = None) -> dict[str, Any]:
        """One searchCriteria page: `{items, search_criteria, total_count}`.

        `criteria` is the nested searchCriteria object, e.g. {"filter_groups": [{"filters": [{"field":
        "sku", "value": "A%", "condition_type": "like"}]}], "pageSize": 50, "currentPage": 1}.
        """
        page: dict[str, Any] = self.request("GET", path, params={"searchCriteria": dict(criteria or {"pageSize": 0})},
                                            store=store)
        return page

    def iterate_search(self, path: str, page_size: int = 100, criteria: Mapping[str, Any] | None = None,
                       *, store: str | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a list, page by page, until current_page*page_size >= total_count or a page is
        empty. Give `criteria` a sortOrders entry on a unique field for a stable order across pages."""
        if page_size < 1:
            raise ValueError("page_size must be >= 1")
        base = dict(criteria or {})
        page, max_pages = 1, None
        while True:
            result = self.search(path, {**base, "pageSize": page_size, "currentPage": page}, store=store)
            items = result.get("items") or []
            yield from items
            total = int(result.get("total_count") or 0)
            if max_pages is None:  # guard against a shop whose total_count moves while we page
                max_pages = math.ceil(total / page_size) + 1
            if not items or page * page_size >= total or page >= max_pages:
                return
            page += 1

    # -- products --------------------------------------------------------------------------------
    def get_product(self, sku: str, *, store: str | None = None) -> dict[str, Any]:
        """GET V1/products/{sku}; an unknown SKU raises UpstreamHTTPError(404)."""
        product: dict[str, Any] = self.request("GET", f"V1/products/{segment(sku)}", store=store)
        return product

    def save_product(self, product: Mapping[str, Any], *, save_options: bool | None = None,
                     store: str | None = None) -> dict[str, Any]:
        """Upsert by SKU with PUT V1/products/{sku} (Magento: the URL SKU wins); returns the saved product."""
        body: dict[str, Any] = {"product": dict(product)}
        if save_options is not None:
            body["saveOptions"] = save_options
        saved: dict[str, Any] = self.request("PUT", f"V1/products/{segment(product['sku'])}", json_body=body,
                                             store=store)
        return saved

    def base_prices(self, prices: Sequence[Mapping[str, Any]], *, store: str | None = None) -> list[dict[str, Any]]:
        """POST V1/products/base-prices with [{sku, price, store_id}]; returns Magento's failure list
        ([] = all saved). Valid rows are saved even when others fail (partial success)."""
        body = {"prices": [dict(row) for row in prices]}
        return self.request("POST", "V1/products/base-prices", json_body=body, upsert=True, store=store) or []

    def bulk_products_async(self, products: Sequence[Mapping[str, Any]], *,
                            store: str | None = None) -> BulkAccepted:
        """POST /rest/<store>/async/bulk/V1/products with [{"product": ...}]: 202 and a bulk uuid.

        Not replayed after an ambiguous failure: a second bulk would get its own uuid."""
        body = [{"product": dict(product)} for product in products]
        result = self.request("POST", async_bulk_route("products"), json_body=body, store=store)
        return BulkAccepted(bulk_uuid=result["bulk_uuid"], request_items=list(result.get("request_items") or []),
                            errors=bool(result.get("errors")))

    def bulk_status(self, bulk_uuid: str) -> dict[str, Any]:
        """GET V1/bulk/{uuid}/status: operations_list with status 1 complete .. 5 rejected."""
        status: dict[str, Any] = self.request("GET", f"V1/bulk/{segment(bulk_uuid)}/status")
        return status

    # -- inventory and media ---------------------------------------------------------------------
    def post_source_items(self, items: Sequence[Mapping[str, Any]], *, store: str | None = None) -> Any:
        """POST V1/inventory/source-items [{sku, source_code, quantity, status}]: all or nothing;
        a bad item raises UpstreamHTTPError(400) whose details carry Magento's errors[]."""
        return self.request("POST", "V1/inventory/source-items",
                            json_body={"sourceItems": [dict(item) for item in items]}, upsert=True, store=store)

    def upload_media(self, sku: str, entry: Mapping[str, Any], *, store: str | None = None) -> str:
        """POST V1/products/{sku}/media {entry}; returns the new gallery entry id as a string."""
        result = self.request("POST", f"V1/products/{segment(sku)}/media", json_body={"entry": dict(entry)},
                              store=store)
        return str(result)

    # -- login -----------------------------------------------------------------------------------
    def admin_token(self, username: str, password: str) -> str:
        """Check a person's own Magento credentials (the login route): never cached, never retried
        on an answer; wrong credentials raise UpstreamHTTPError(401)."""
        return self._token_call(username, password, upsert=False)
