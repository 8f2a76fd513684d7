"""SandboxState: the in-memory shop (catalogue, MSI, sales, CMS, bulks, tokens) behind one lock."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .sales_book import RecordBook, invoice_book, order_book

DATE_FMT = "%Y-%m-%d %H:%M:%S"


def now_str() -> str:
    """Magento's UTC 'Y-m-d H:i:s' timestamps."""
    return datetime.now(UTC).strftime(DATE_FMT)


def sku_key(sku: str) -> str:
    """SKU lookups are case-insensitive in Magento (MySQL *_ci collation)."""
    return str(sku).casefold()


class KeyedRows(dict):
    """A dict that counts additions and removals of keys (not value changes), so an order of its keys can
    be cached until the set of keys changes (book_index.key_sorted_search)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keys_version = 0
        self.orders: dict[tuple, tuple[int, list]] = {}  # sort signature -> (keys_version, keys in order)

    def __setitem__(self, key: Any, value: Any) -> None:
        if key not in self:
            self.keys_version += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self.keys_version += 1

    def pop(self, key: Any, *default: Any) -> Any:
        if key in self:
            self.keys_version += 1
        return super().pop(key, *default)

    def popitem(self) -> tuple[Any, Any]:
        self.keys_version += 1
        return super().popitem()

    def clear(self) -> None:
        self.keys_version += 1
        super().clear()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self.keys_version += 1
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.keys_version += 1
        super().update(*args, **kwargs)


@dataclass
class SandboxState:
    """All mutable shop data. Callers hold `lock` while reading or writing several members."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    products: dict[str, dict] = field(default_factory=dict)  # sku_key -> product
    next_product_id: int = 1
    next_media_id: int = 1
    source_items: KeyedRows = field(default_factory=KeyedRows)  # (sku_key, source) -> item
    sources: dict[str, dict] = field(default_factory=dict)
    stocks: dict[int, dict] = field(default_factory=dict)
    categories: dict[int, dict] = field(default_factory=dict)
    attributes: dict[str, dict] = field(default_factory=dict)
    next_option_id: int = 1
    customers: dict[int, dict] = field(default_factory=dict)
    orders: RecordBook = field(default_factory=order_book)  # read-only views, rendered on access
    invoices: RecordBook = field(default_factory=invoice_book)
    cms_pages: dict[int, dict] = field(default_factory=dict)
    cms_blocks: dict[int, dict] = field(default_factory=dict)
    store_configs: list[dict] = field(default_factory=list)
    store_ids: set[int] = field(default_factory=lambda: {0, 1})
    store_codes: set[str] = field(default_factory=lambda: {"default"})
    bulks: dict[str, dict] = field(default_factory=dict)
    seeded_from: str = "generated"

    # -- products -------------------------------------------------------------------------------
    def get_product(self, sku: str) -> dict | None:
        """The stored product for `sku` (case-insensitive) or None."""
        return self.products.get(sku_key(sku))

    def product_by_id(self, product_id: int) -> dict | None:
        """Linear lookup by entity id (only used by rare routes)."""
        for product in self.products.values():
            if product["id"] == product_id:
                return product
        return None

    def legacy_qty(self, sku: str) -> tuple[float, bool]:
        """cataloginventory_stock_item mirrors the 'default' source item (MSI legacy sync)."""
        item = self.source_items.get((sku_key(sku), "default"))
        if item is None:
            return 0.0, False
        return float(item["quantity"]), bool(item["status"]) and float(item["quantity"]) > 0

    def source_item_rows(self) -> list[dict]:
        """Every source item as a plain dict (for the control endpoint and searches)."""
        return [dict(v) for v in self.source_items.values()]


def custom_attribute(product: dict, code: str) -> Any:
    """Value of one custom attribute of a product (None when absent)."""
    for attr in product.get("custom_attributes", []):
        if attr["attribute_code"] == code:
            return attr["value"]
    return None


def set_custom_attribute(product: dict, code: str, value: Any) -> None:
    """Insert or replace a custom attribute value."""
    attrs = product.setdefault("custom_attributes", [])
    for attr in attrs:
        if attr["attribute_code"] == code:
            attr["value"] = value
            return
    attrs.append({"attribute_code": code, "value": value})
