"""Sales and customers: orders, invoices, customers (search, get, create)."""
from __future__ import annotations

import copy

from .. import errors, search
from ..errors import MagentoError
from ..inputs import as_int, as_str, require
from ..router import Router
from ..sales_book import RecordBook
from ..sandbox import Ctx
from ..state import now_str

ORDER_RESOURCE = "Magento_Sales::actions_view"
INVOICE_RESOURCE = "Magento_Sales::sales_invoice"
CUSTOMER_RESOURCE = "Magento_Customer::customer"


def _search(ctx: Ctx, rows: dict) -> dict:
    crit = ctx.criteria()
    with ctx.state.lock:
        items = [rows[k] for k in sorted(rows)]
        result = search.apply(items, crit)
        result["items"] = copy.deepcopy(result["items"])
    return result


def _search_book(ctx: Ctx, book: RecordBook) -> dict:
    """Filter and sort entity ids on the book's index; render only the page (books are read-only)."""
    crit = ctx.criteria()
    with ctx.state.lock:
        result = book.search(crit)
        result["items"] = [book[k] for k in result["items"]]
    return result


def list_orders(ctx: Ctx) -> dict:
    return _search_book(ctx, ctx.state.orders)


def _get_entity(ctx: Ctx, table: RecordBook, id: str) -> dict:
    """A copy of one order or invoice by id; Magento's 404 body when there is none."""
    with ctx.state.lock:
        entity = table.get(as_int(id))
        if entity is None:
            raise MagentoError(404, errors.ENTITY_NOT_FOUND)
        return copy.deepcopy(entity)


def get_order(ctx: Ctx, id: str) -> dict:
    return _get_entity(ctx, ctx.state.orders, id)


def list_invoices(ctx: Ctx) -> dict:
    return _search_book(ctx, ctx.state.invoices)


def get_invoice(ctx: Ctx, id: str) -> dict:
    return _get_entity(ctx, ctx.state.invoices, id)


def search_customers(ctx: Ctx) -> dict:
    return _search(ctx, ctx.state.customers)


def get_customer(ctx: Ctx, customerId: str) -> dict:
    with ctx.state.lock:
        customer = ctx.state.customers.get(as_int(customerId))
        if customer is None:
            raise errors.no_such_entity("customerId", customerId)
        return copy.deepcopy(customer)


def create_customer(ctx: Ctx) -> dict:
    require(ctx.body, "customer")
    data = ctx.body["customer"]
    if not isinstance(data, dict):
        raise errors.invalid_type(data, "Magento\\Customer\\Api\\Data\\CustomerInterface")
    missing = [f for f in ("firstname", "lastname", "email") if not as_str(data.get(f))]
    if missing:
        raise errors.aggregate(errors.INPUT_EXCEPTIONS,
                               [('"%fieldName" is a required value.', {"fieldName": f}) for f in missing])
    email = as_str(data["email"]) or ""
    if "@" not in email:
        raise MagentoError(400, '"%fieldName" is not a valid email address.', {"fieldName": "email"})
    with ctx.state.lock:
        if any(c["email"].casefold() == email.casefold() for c in ctx.state.customers.values()):
            raise MagentoError(400, "A customer with the same email address already exists in an associated "
                                    "website.")
        cid = max(ctx.state.customers, default=0) + 1
        stamp = now_str()
        customer = {
            "id": cid, "group_id": as_int(data.get("group_id")) or 1, "created_at": stamp, "updated_at": stamp,
            "created_in": "Default Store View", "email": email, "firstname": as_str(data["firstname"]),
            "lastname": as_str(data["lastname"]), "store_id": 1, "website_id": as_int(data.get("website_id")) or 1,
            "addresses": [], "disable_auto_group_change": 0, "extension_attributes": {"is_subscribed": False},
        }
        ctx.state.customers[cid] = customer
        return copy.deepcopy(customer)


def register(sync: Router, bulk: Router) -> None:
    sync.add("GET", "V1/orders", ORDER_RESOURCE)(list_orders)
    sync.add("GET", "V1/orders/:id", ORDER_RESOURCE)(get_order)
    sync.add("GET", "V1/invoices", INVOICE_RESOURCE)(list_invoices)
    sync.add("GET", "V1/invoices/:id", INVOICE_RESOURCE)(get_invoice)
    sync.add("GET", "V1/customers/search", CUSTOMER_RESOURCE)(search_customers)
    sync.add("GET", "V1/customers/:customerId", CUSTOMER_RESOURCE)(get_customer)
    sync.add("POST", "V1/customers", "Magento_Customer::manage")(create_customer)
