"""OrderBook and InvoiceBook: orders and invoices kept as compact records, rendered as Magento dicts on read.

The large shop holds 50,000 orders (~125,000 items): as plain dicts they would cost seconds to build and
hundreds of MB. Orders never change in the sandbox, so a record keeps only what varies (dates, state,
customer, lines) and searches read those fields without building the full order."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .book_index import BookIndex
from .search import SearchCriteria

INVOICED_STATES = frozenset({"complete", "processing", "closed"})


@dataclass(frozen=True, slots=True)
class ProductLine:
    """What an order line copies from its product at order time."""

    sku: str
    name: str
    product_id: int
    type_id: str
    price: float


@dataclass(frozen=True, slots=True)
class OrderRecord:
    entity_id: int
    created_at: str
    updated_at: str
    state: str
    status: str
    customer: dict  # the seeded customer (read only for its id, email and names)
    lines: tuple[tuple[ProductLine, float], ...]  # (product, qty)
    invoice_id: int | None

    @property
    def subtotal(self) -> float:
        return round(sum(p.price * qty for p, qty in self.lines), 2)

    @property
    def grand_total(self) -> float:
        subtotal = self.subtotal
        return round(subtotal + (0.0 if subtotal > 500 else 30.0), 2)


def _items(rec: OrderRecord) -> list[dict]:
    invoiced = rec.state in INVOICED_STATES
    return [{
        "item_id": rec.entity_id * 10 + line, "order_id": rec.entity_id, "sku": p.sku, "name": p.name,
        "product_id": p.product_id, "product_type": p.type_id, "qty_ordered": qty,
        "qty_invoiced": qty if invoiced else 0.0, "price": p.price, "base_price": p.price,
        "row_total": round(p.price * qty, 2), "base_row_total": round(p.price * qty, 2), "store_id": 1,
        "created_at": rec.created_at, "updated_at": rec.created_at,
        "is_virtual": 1 if p.type_id == "virtual" else 0,
    } for line, (p, qty) in enumerate(rec.lines)]


def render_order(rec: OrderRecord) -> dict:
    """The order as GET /V1/orders renders it."""
    customer, oid = rec.customer, rec.entity_id
    subtotal, grand = rec.subtotal, rec.grand_total
    shipping = round(grand - subtotal, 2)
    return {
        "entity_id": oid, "increment_id": f"{100000000 + oid:09d}", "state": rec.state, "status": rec.status,
        "store_id": 1, "customer_id": customer["id"], "customer_email": customer["email"],
        "customer_firstname": customer["firstname"], "customer_lastname": customer["lastname"],
        "customer_group_id": 1, "customer_is_guest": 0, "base_currency_code": "MAD",
        "order_currency_code": "MAD", "global_currency_code": "MAD", "store_currency_code": "MAD",
        "subtotal": subtotal, "base_subtotal": subtotal, "shipping_amount": shipping,
        "base_shipping_amount": shipping, "grand_total": grand, "base_grand_total": grand,
        "total_qty_ordered": sum(qty for _p, qty in rec.lines), "total_item_count": len(rec.lines),
        "created_at": rec.created_at, "updated_at": rec.updated_at, "items": _items(rec),
        "payment": {"method": "cashondelivery", "account_status": None, "additional_information": [],
                    "cc_last4": None, "amount_ordered": grand},
        "billing_address": {"address_type": "billing", "city": "Casablanca", "country_id": "MA",
                            "firstname": customer["firstname"], "lastname": customer["lastname"],
                            "postcode": "20000", "telephone": "0522000000", "street": ["1 Rue Test"],
                            "email": customer["email"], "parent_id": oid},
    }


def render_invoice(rec: OrderRecord) -> dict:
    """The invoice of an invoiced order, as GET /V1/invoices renders it."""
    invoice_id = rec.invoice_id
    items = [{"entity_id": it["item_id"], "sku": it["sku"], "name": it["name"], "qty": it["qty_ordered"],
              "order_item_id": it["item_id"], "price": it["price"], "row_total": it["row_total"],
              "product_id": it["product_id"], "parent_id": invoice_id} for it in _items(rec)]
    return {
        "entity_id": invoice_id, "increment_id": f"{100000000 + (invoice_id or 0):09d}",
        "order_id": rec.entity_id, "state": 2, "store_id": 1, "grand_total": rec.grand_total,
        "base_grand_total": rec.grand_total, "subtotal": rec.subtotal,
        "total_qty": sum(qty for _p, qty in rec.lines), "base_currency_code": "MAD",
        "created_at": rec.created_at, "updated_at": rec.created_at, "items": items, "comments": [],
    }


# Fields a search can read straight from the record; anything else renders the entity first.
_ORDER_FIELDS: dict[str, Callable[[OrderRecord], Any]] = {
    "entity_id": lambda r: r.entity_id, "increment_id": lambda r: f"{100000000 + r.entity_id:09d}",
    "created_at": lambda r: r.created_at, "updated_at": lambda r: r.updated_at, "state": lambda r: r.state,
    "status": lambda r: r.status, "customer_id": lambda r: r.customer["id"],
    "customer_email": lambda r: r.customer["email"], "grand_total": lambda r: r.grand_total,
    "base_grand_total": lambda r: r.grand_total, "store_id": lambda r: 1,
}
_INVOICE_FIELDS: dict[str, Callable[[OrderRecord], Any]] = {
    "entity_id": lambda r: r.invoice_id, "order_id": lambda r: r.entity_id,
    "created_at": lambda r: r.created_at, "updated_at": lambda r: r.created_at,
    "grand_total": lambda r: r.grand_total, "state": lambda r: 2, "store_id": lambda r: 1,
}


class RecordBook(Mapping[int, dict]):
    """A read-only {id: entity dict} view over records; `field` serves searchCriteria without rendering."""

    def __init__(self, render: Callable[[OrderRecord], dict],
                 fields: dict[str, Callable[[OrderRecord], Any]]) -> None:
        self._records: dict[int, OrderRecord] = {}
        self._render = render
        self._fields = fields
        self._index: BookIndex | None = None

    def add(self, key: int, record: OrderRecord) -> None:
        self._records[key] = record
        self._index = None

    def search(self, crit: SearchCriteria) -> dict:
        """searchCriteria over the book from its sorted index: {items (ids of the page), search_criteria,
        total_count}, the same answer as search.apply over every record."""
        index = self._index
        if index is None:
            index = self._index = BookIndex(self._records, self.field)
        return index.search(crit)

    def __getitem__(self, key: int) -> dict:
        return self._render(self._records[key])

    def __iter__(self) -> Iterator[int]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def field(self, key: int, name: str) -> Any:
        """One field of entity `key` (searchCriteria getter over ids)."""
        record = self._records[key]
        reader = self._fields.get(name)
        return reader(record) if reader is not None else self._render(record).get(name)


def order_book() -> RecordBook:
    return RecordBook(render_order, _ORDER_FIELDS)


def invoice_book() -> RecordBook:
    return RecordBook(render_invoice, _INVOICE_FIELDS)
