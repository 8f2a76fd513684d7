"""Seeding of store configs, customers, orders (spread over the last 12 months), invoices and CMS."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from .state import DATE_FMT, SandboxState

FIRST_NAMES = ["Youssef", "Fatima", "Mohamed", "Khadija", "Amine", "Salma", "Omar", "Imane", "Hamza", "Sara",
               "Mehdi", "Nadia", "Karim", "Leila", "Rachid", "Zineb"]
LAST_NAMES = ["Alaoui", "Bennani", "Tazi", "El Idrissi", "Berrada", "Chraibi", "Fassi", "Benjelloun",
              "Amrani", "Lahlou", "Sqalli", "Naciri"]
ORDER_STATES = [("complete", "complete", 0.55), ("processing", "processing", 0.2), ("pending", "pending", 0.1),
                ("canceled", "canceled", 0.1), ("closed", "closed", 0.05)]
MAX_CUSTOMERS = 200
MAX_ORDERS = 1200
BASE_URL = "http://127.0.0.1/"


def seed_store_configs(state: SandboxState) -> None:
    """One website/group/store view ('default', id 1) plus the admin store 0."""
    state.store_configs = [{
        "id": 1, "code": "default", "website_id": 1, "locale": "fr_FR", "base_currency_code": "MAD",
        "default_display_currency_code": "MAD", "timezone": "Africa/Casablanca", "weight_unit": "kgs",
        "base_url": BASE_URL, "base_link_url": BASE_URL, "base_static_url": BASE_URL + "static/",
        "base_media_url": BASE_URL + "media/", "secure_base_url": BASE_URL, "secure_base_link_url": BASE_URL,
        "secure_base_static_url": BASE_URL + "static/", "secure_base_media_url": BASE_URL + "media/",
    }]
    state.store_ids = {0, 1}
    state.store_codes = {"default"}


def _pick_state(rng: random.Random) -> tuple[str, str]:
    roll, acc = rng.random(), 0.0
    for st, status, weight in ORDER_STATES:
        acc += weight
        if roll < acc:
            return st, status
    return ORDER_STATES[0][0], ORDER_STATES[0][1]


def seed_sales(state: SandboxState, rng: random.Random, now: datetime) -> None:
    """Customers, orders with items, and an invoice per invoiced order (volume scales with the catalogue)."""
    customers = min(MAX_CUSTOMERS, max(20, len(state.products) // 2))
    orders = min(MAX_ORDERS, max(50, len(state.products) * 2))
    for cid in range(1, customers + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        created = now - timedelta(days=rng.randint(1, 700))
        state.customers[cid] = {
            "id": cid, "group_id": 1, "created_at": created.strftime(DATE_FMT),
            "updated_at": created.strftime(DATE_FMT), "created_in": "Default Store View",
            "email": f"{first.lower()}.{last.lower().replace(' ', '')}{cid}@example.ma", "firstname": first,
            "lastname": last, "store_id": 1, "website_id": 1, "addresses": [], "disable_auto_group_change": 0,
            "extension_attributes": {"is_subscribed": rng.random() < 0.3},
        }
    sellable = [p for p in state.products.values() if p["type_id"] != "configurable"]
    if not sellable:
        return
    invoice_id = 1
    for oid in range(1, orders + 1):
        customer = state.customers[rng.randint(1, customers)]
        created = now - timedelta(seconds=rng.randint(0, 365 * 86400 - 1))
        st, status = _pick_state(rng)
        items, subtotal, qty_total = [], 0.0, 0.0
        for line in range(rng.randint(1, 4)):
            product = rng.choice(sellable)
            qty = float(rng.randint(1, 5))
            price = float(product.get("price") or 10.0)
            subtotal += price * qty
            qty_total += qty
            items.append({
                "item_id": oid * 10 + line, "order_id": oid, "sku": product["sku"], "name": product["name"],
                "product_id": product["id"], "product_type": product["type_id"], "qty_ordered": qty,
                "qty_invoiced": qty if st in ("complete", "processing", "closed") else 0.0,
                "price": price, "base_price": price, "row_total": round(price * qty, 2),
                "base_row_total": round(price * qty, 2), "store_id": 1,
                "created_at": created.strftime(DATE_FMT), "updated_at": created.strftime(DATE_FMT),
                "is_virtual": 1 if product["type_id"] == "virtual" else 0,
            })
        shipping = 0.0 if subtotal > 500 else 30.0
        grand = round(subtotal + shipping, 2)
        state.orders[oid] = {
            "entity_id": oid, "increment_id": f"{100000000 + oid:09d}", "state": st, "status": status,
            "store_id": 1, "customer_id": customer["id"], "customer_email": customer["email"],
            "customer_firstname": customer["firstname"], "customer_lastname": customer["lastname"],
            "customer_group_id": 1, "customer_is_guest": 0, "base_currency_code": "MAD",
            "order_currency_code": "MAD", "global_currency_code": "MAD", "store_currency_code": "MAD",
            "subtotal": round(subtotal, 2), "base_subtotal": round(subtotal, 2), "shipping_amount": shipping,
            "base_shipping_amount": shipping, "grand_total": grand, "base_grand_total": grand,
            "total_qty_ordered": qty_total, "total_item_count": len(items),
            "created_at": created.strftime(DATE_FMT), "updated_at": created.strftime(DATE_FMT),
            "items": items,
            "payment": {"method": "cashondelivery", "account_status": None, "additional_information": [],
                        "cc_last4": None, "amount_ordered": grand},
            "billing_address": {"address_type": "billing", "city": "Casablanca", "country_id": "MA",
                                "firstname": customer["firstname"], "lastname": customer["lastname"],
                                "postcode": "20000", "telephone": "0522000000", "street": ["1 Rue Test"],
                                "email": customer["email"], "parent_id": oid},
        }
        if st in ("complete", "processing", "closed"):
            inv_items = [{"entity_id": it["item_id"], "sku": it["sku"], "name": it["name"], "qty": it["qty_ordered"],
                          "order_item_id": it["item_id"], "price": it["price"], "row_total": it["row_total"],
                          "product_id": it["product_id"], "parent_id": invoice_id} for it in items]
            state.invoices[invoice_id] = {
                "entity_id": invoice_id, "increment_id": f"{100000000 + invoice_id:09d}", "order_id": oid,
                "state": 2, "store_id": 1, "grand_total": grand, "base_grand_total": grand,
                "subtotal": round(subtotal, 2), "total_qty": qty_total, "base_currency_code": "MAD",
                "created_at": created.strftime(DATE_FMT), "updated_at": created.strftime(DATE_FMT),
                "items": inv_items, "comments": [],
            }
            invoice_id += 1


def seed_cms(state: SandboxState, now: datetime) -> None:
    """A handful of CMS pages and blocks."""
    pages = [("home", "Accueil"), ("no-route", "404 Not Found"), ("enable-cookies", "Enable Cookies"),
             ("privacy-policy-cookie-restriction-mode", "Privacy Policy"), ("livraison", "Livraison"),
             ("about-us", "A propos")]
    for i, (identifier, title) in enumerate(pages, start=1):
        stamp = (now - timedelta(days=100 - i * 7)).strftime(DATE_FMT)
        state.cms_pages[i] = {
            "id": i, "identifier": identifier, "title": title, "page_layout": "1column", "meta_title": title,
            "meta_keywords": "", "meta_description": "", "content_heading": title,
            "content": f"<p>{title}</p>", "creation_time": stamp, "update_time": stamp, "sort_order": "0",
            "active": True,
        }
    blocks = [("footer_links", "Footer Links"), ("promo_banner", "Promo"), ("contact_info", "Contact")]
    for i, (identifier, title) in enumerate(blocks, start=1):
        stamp = (now - timedelta(days=50 - i * 5)).strftime(DATE_FMT)
        state.cms_blocks[i] = {"id": i, "identifier": identifier, "title": title,
                               "content": f"<div>{title}</div>", "creation_time": stamp, "update_time": stamp,
                               "active": True}
