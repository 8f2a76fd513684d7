"""Seeding of store configs, customers, orders (spread over the last 12 months), invoices and CMS."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from .sales_book import INVOICED_STATES, OrderRecord, ProductLine
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


def seed_sales(state: SandboxState, rng: random.Random, now: datetime, *, customers: int | None = None,
               orders: int | None = None) -> None:
    """Customers, orders with items, and an invoice per invoiced order.

    Sizes: as given (the large profile), else they scale with the catalogue up to MAX_CUSTOMERS/MAX_ORDERS.
    Orders and invoices are compact records (sales_book.py) so 50,000 of them seed in about a second."""
    customers = customers or min(MAX_CUSTOMERS, max(20, len(state.products) // 2))
    orders = orders or min(MAX_ORDERS, max(50, len(state.products) * 2))
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
    sellable = [ProductLine(p["sku"], p["name"], p["id"], p["type_id"], float(p.get("price") or 10.0))
                for p in state.products.values() if p["type_id"] != "configurable"]
    if not sellable:
        return
    invoice_id = 1
    # Plain random() arithmetic and naive isoformat(): 50,000 orders in about a second, not five.
    draw, pick = rng.random, rng.choices
    base = now.replace(tzinfo=None)
    year_s = 365 * 86400
    for oid in range(1, orders + 1):
        customer = state.customers[1 + int(draw() * customers)]
        created = base - timedelta(seconds=int(draw() * year_s))
        st, status = _pick_state(rng)
        lines = tuple((p, float(1 + int(draw() * 5))) for p in pick(sellable, k=1 + int(draw() * 4)))
        created_at = created.isoformat(sep=" ")
        # A settled order was last touched when it moved on (up to 5 days later), never in the future.
        updated_at = created_at if st == "pending" else min(
            created + timedelta(seconds=(oid * 7919) % (5 * 86400)), base).isoformat(sep=" ")
        invoiced = st in INVOICED_STATES
        record = OrderRecord(oid, created_at, updated_at, st, status, customer, lines,
                             invoice_id if invoiced else None)
        state.orders.add(oid, record)
        if invoiced:
            state.invoices.add(invoice_id, record)
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
