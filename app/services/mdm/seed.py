"""Deterministic, realistic demo data for the embedded/demo MDM database (`python manage.py db seed`).

The same `seed` always yields the same products, tariffs and movements (dates are relative to `now`):
- simple, configurable and variant products; about 60% of configurables are homogeneous (their variants
  take the parent's price); creation dates spread over three years with a slice inside the 22-day window;
- tariffs: reference lists R24 (expired) and R25 (current), e-commerce lists E24 (expired, tied to R24)
  and E25 (current, tied to R25), future promotions (EPROMO) and a few type-9 rows whose reference does not
  exist (R99), so every price rule has something to bite on;
- stock movements: several per (product, store) with increasing dates, about 2% NULL quantities;
- StockChanges is filled by running the real MERGE twice: once on the history (then acknowledged as if a
  sync had run), once after the newest movements arrive, so a realistic share of rows is changed=1.
Default: >= 5,000 products and > 60,000 movements; ``large=True``: 200,000 StockChanges rows (~500k movements).
"""
from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, delete, false, func, select, update

from app.adapters import sql
from app.adapters.mdm.tables import (
    approvisionnement,
    create_mdm_schema,
    produits,
    stock_changes,
    tarif,
)
from app.services.mdm.current_prices import invalidate_price_tables
from app.services.mdm.sources import StoreSource, load_sources
from app.services.mdm.stock import merge_stock_changes

Progress = Callable[[str, int], None]
CHUNK = 5_000
LARGE_STOCK_ROWS = 200_000
CATEGORIES = {  # category -> (min price, max price) in MAD
    "Informatique": (2500, 22000), "Téléphonie": (800, 15000), "TV & Audio": (600, 25000),
    "Électroménager": (400, 12000), "Gaming": (250, 7000), "Photo": (900, 18000),
    "Impression": (300, 6000), "Réseau": (150, 3500), "Stockage": (200, 4000),
    "Accessoires": (40, 900), "Bureau": (30, 2500), "Maison connectée": (150, 3000),
}
BRANDS = ("Samsung", "Apple", "HP", "Lenovo", "Dell", "Asus", "Acer", "Sony", "LG", "Xiaomi", "Canon",
          "Epson", "TP-Link", "Logitech", "Philips", "Bosch", "Huawei", "Seagate", "Kingston", "Brother")
NOUNS = {"Informatique": "Ordinateur portable", "Téléphonie": "Smartphone", "TV & Audio": "Téléviseur",
         "Électroménager": "Micro-ondes", "Gaming": "Manette", "Photo": "Appareil photo",
         "Impression": "Imprimante", "Réseau": "Routeur", "Stockage": "Disque SSD",
         "Accessoires": "Câble", "Bureau": "Fauteuil", "Maison connectée": "Ampoule connectée"}
VARIANT_AXES = ("Noir", "Blanc", "Bleu", "Rouge", "Gris", "64 Go", "128 Go", "256 Go", "S", "M", "L", "XL")


def _chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _stores(count: int, sources_file: str | None) -> list[StoreSource]:
    stores = list(load_sources(sources_file))
    for i in range(len(stores) + 1, count + 1):  # more stores than the mapping: unmapped extras
        stores.append(StoreSource(str(i), f"Magasin {i}", f"src_{i}", str(100 + i)))
    return stores[:count]


def _products(rng: random.Random, count: int, now: datetime) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    categories = list(CATEGORIES)
    while len(rows) < count:
        code = str(1_000_001 + len(rows))
        category = rng.choice(categories)
        brand = rng.choice(BRANDS)
        # ~10% of creations fall in the last 22 days so the price window matters.
        age = rng.randint(0, 21) if rng.random() < 0.10 else rng.randint(22, 3 * 365)
        created = (now - timedelta(days=age, minutes=rng.randint(0, 1439))).replace(microsecond=0)
        label = f"{NOUNS[category]} {brand} {rng.choice('ABCDEFGHKMPRSTXZ')}{rng.randint(10, 990)}"
        base = {"Code_JDE": f"JDE{700_000 + len(rows)}", "Categorie": category, "Marque": brand,
                "DateCreation": created, "Sku_Conf": None, "TypeConfHomog": None}
        variants = rng.randint(2, 6)
        if rng.random() < 0.07 and len(rows) + variants < count:
            rows.append({**base, "Code_MDM": code, "TypeProd": "C", "Libelle": label,
                         "TypeConfHomog": 1 if rng.random() < 0.6 else 0})
            for axis in rng.sample(VARIANT_AXES, variants):
                vcode = str(1_000_001 + len(rows))
                rows.append({**base, "Code_MDM": vcode, "Code_JDE": f"JDE{700_000 + len(rows)}",
                             "TypeProd": "V", "Sku_Conf": code, "Libelle": f"{label} - {axis}"})
        else:
            rows.append({**base, "Code_MDM": code, "TypeProd": "S", "Libelle": label})
    return rows


def _tariffs(rng: random.Random, products_rows: list[dict[str, Any]], now: datetime) -> Iterator[dict[str, Any]]:
    today = now.date()
    for prod in products_rows:
        low, high = CATEGORIES[prod["Categorie"]]
        price = Decimal(rng.randint(low, high)) - Decimal("0.01")
        common = {"Code_MDM": prod["Code_MDM"], "Code_JDE": prod["Code_JDE"]}

        def row(code: str, kind: int, ref: str | None, amount: Decimal, start: date, end: date | None,
                modified_days_ago: int, common: dict[str, Any] = common) -> dict[str, Any]:
            return {**common, "Code_Tarif": code, "Code_TarifType": kind, "Code_TarifRef": ref, "Tarif": amount,
                    "DateDebut": start, "DateFin": end,
                    "DateModif": (now - timedelta(days=modified_days_ago, hours=rng.randint(0, 23))).replace(
                        microsecond=0)}

        old_price = (price * Decimal("0.93")).quantize(Decimal("0.01"))
        yield row("R24", 0, None, old_price, date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), 400)
        yield row("R25", 0, None, price, today - timedelta(days=365), None, rng.randint(30, 365))
        yield row("E24", 9, "R24", old_price, date(today.year - 1, 1, 1), today - timedelta(days=200), 380)
        draw = rng.random()
        if draw < 0.02:
            # an e-commerce price whose reference list does not exist: never pushed
            yield row("E26", 9, "R99", price, today - timedelta(days=30), None, 3)
            continue
        ecom = (price * Decimal(rng.choice(("1.00", "0.95", "0.90", "1.05")))).quantize(Decimal("0.01"))
        recent = rng.random() < 0.15  # ~15% repriced inside the 22-day window
        start = today - timedelta(days=rng.randint(1, 300))
        end = None if rng.random() < 0.8 else today + timedelta(days=rng.randint(1, 200))
        yield row("E25", 9, "R25", ecom, start, end, rng.randint(0, 21) if recent else rng.randint(23, 300))
        if draw > 0.95:  # a promotion that starts next week: must not be picked today
            promo = (ecom * Decimal("0.8")).quantize(Decimal("0.01"))
            yield row("EPROMO", 9, "R25", promo, today + timedelta(days=7), today + timedelta(days=21), 1)


def _movements(rng: random.Random, products_rows: list[dict[str, Any]], stores: list[StoreSource],
               now: datetime, large: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(history, newest) movements; newest are the last movement of ~15% of pairs, dated after the sync."""
    stockable = [p["Code_MDM"] for p in products_rows if p["TypeProd"] != "C"]
    total_pairs = len(stockable) * len(stores)
    wanted = min(total_pairs, LARGE_STOCK_ROWS) if large else int(total_pairs * 0.9)
    history: list[dict[str, Any]] = []
    newest: list[dict[str, Any]] = []
    for index in sorted(rng.sample(range(total_pairs), wanted)):
        code, store = stockable[index // len(stores)], stores[index % len(stores)]
        count = 1 + min(3, int(rng.expovariate(0.7)))
        when = now - timedelta(days=rng.randint(20, 60))
        qty = rng.randint(0, 80)
        last_is_new = rng.random() < 0.15
        for i in range(count):
            when += timedelta(hours=rng.randint(1, 200), seconds=rng.randint(0, 3599))
            qty = max(0, qty + rng.randint(-10, 15))
            is_new = last_is_new and i == count - 1
            moved = now - timedelta(minutes=rng.randint(1, 600)) if is_new else min(when, now - timedelta(days=1))
            row = {"Code_MDM": code, "Code_Source": int(store.code_source), "Source": store.source,
                   "QteStock": None if rng.random() < 0.02 else qty, "DateMouvement": moved}
            (newest if is_new else history).append(row)
    return history, newest


def _insert(engine: Engine, table: Any, rows: Any, label: str, progress: Progress | None) -> int:
    done = 0
    for batch in _chunks(iter(rows)):
        with sql.begin(engine) as conn:
            conn.execute(table.insert(), batch)
        done += len(batch)
        if progress:
            progress(label, done)
    return done


def clear_mdm_data(engine: Engine) -> None:
    """Delete every row of the four MDM tables (demo databases only)."""
    with sql.begin(engine) as conn:
        for table in (stock_changes, approvisionnement, tarif, produits):
            conn.execute(delete(table))
    invalidate_price_tables()  # new rows may carry the same change markers as the old ones


def is_empty(engine: Engine) -> bool:
    """True when the MDM product table is missing or has no rows (the quick start seeds then)."""
    from sqlalchemy import inspect

    with sql.connect(engine) as conn:
        if not inspect(conn).has_table(produits.name, schema=None):
            return True
        return conn.execute(select(func.count()).select_from(produits)).scalar_one() == 0


def seed_demo_data(engine: Engine, *, products: int = 5000, sources: int = 12, large: bool = False,
                   seed: int = 42, progress: Progress | None = None, now: datetime | None = None,
                   sources_file: str | None = None) -> dict[str, int]:
    """Create the MDM tables if needed, replace their rows with the demo set, run the MERGE; return counts.

    `engine` must come from `mdm_engine`; refuses SQL Server (the customer's database).
    With ``large=True`` the product count grows as needed to reach 200,000 StockChanges rows.
    """
    if products < 1 or not 1 <= sources <= 200:
        raise ValueError("products must be >= 1 and sources between 1 and 200")
    now = (now or datetime.now()).replace(microsecond=0)
    if large:
        products = max(products, 20_000)
    rng = random.Random(seed)
    create_mdm_schema(engine)
    clear_mdm_data(engine)
    stores = _stores(sources, sources_file)
    product_rows = _products(rng, products, now)
    counts = {"products": _insert(engine, produits, product_rows, "products", progress)}
    counts["tariffs"] = _insert(engine, tarif, _tariffs(rng, product_rows, now), "tariffs", progress)
    history, newest = _movements(rng, product_rows, stores, now, large)
    counts["movements"] = _insert(engine, approvisionnement, history, "movements", progress)
    first = merge_stock_changes(engine, now=now - timedelta(hours=12))
    with sql.begin(engine) as conn:  # as if yesterday's sync had pushed and acknowledged everything
        conn.execute(update(stock_changes).values(changed=False, syncedDate=now - timedelta(hours=11)))
    counts["movements"] += _insert(engine, approvisionnement, newest, "movements", progress)
    second = merge_stock_changes(engine, now=now)
    counts["stock_rows"] = first.inserted + second.inserted
    with sql.connect(engine) as conn:
        counts["changed"] = conn.execute(select(func.count()).select_from(stock_changes)
                                         .where(stock_changes.c.changed != false())).scalar_one()
    if progress:
        progress("done", counts["stock_rows"])
    return counts
