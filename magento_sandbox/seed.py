"""Seeding: a deterministic catalogue (or SKUs read from the MDM database), MSI sources and stocks,
categories, attributes and brand options. Sales/CMS/store data live in seed_sales.py."""
from __future__ import annotations

import json
import logging
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .mdm import MdmProduct, read_mdm_products
from .options import DEFAULT_PRODUCTS, SandboxOptions
from .seed_sales import seed_cms, seed_sales, seed_store_configs
from .state import DATE_FMT, SandboxState, sku_key

log = logging.getLogger(__name__)

BRANDS = ["Bic", "Stabilo", "Pilot", "Faber-Castell", "Maped", "Staedtler", "Casio", "HP", "Canon",
          "Epson", "Logitech", "Samsung", "Lenovo", "Oxford", "Clairefontaine", "Pentel", "Uni-ball",
          "Brother", "Kingston", "SanDisk"]
CATEGORY_TREE = {
    "Papeterie": ["Stylos", "Cahiers", "Classement"],
    "Informatique": ["Ordinateurs", "Peripheriques", "Stockage"],
    "Impression": ["Imprimantes", "Cartouches", "Papier"],
    "Scolaire": ["Cartables", "Calculatrices", "Trousses"],
    "Beaux-Arts": ["Peinture", "Dessin"],
}
NOUNS = ["Stylo", "Cahier", "Classeur", "Clavier", "Souris", "Cle USB", "Cartouche", "Ramette",
         "Calculatrice", "Cartable", "Trousse", "Feutre", "Crayon", "Imprimante", "Disque SSD", "Pinceau"]
ADJECTIVES = ["Bleu", "Noir", "Rouge", "A4", "A5", "Pro", "Plus", "Mini", "XL", "Eco", "Premium", "Classic"]
_TYPE_BY_MDM = {"S": "simple", "V": "virtual", "C": "configurable"}


def load_sources(path: Path) -> list[dict]:
    """The 12 MDM stores; each `magentoSource` is an MSI source_code."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("sandbox: sources file unreadable, only 'default' source", extra={"path": str(path)})
        return []


def build_state(options: SandboxOptions, now: datetime | None = None) -> SandboxState:
    """A fresh, fully seeded shop. Same options and day -> same data."""
    # Anchored at midnight so a restart on the same day reproduces the same timestamps.
    now = (now or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    rng = random.Random(options.seed)
    state = SandboxState()
    seed_store_configs(state)
    _seed_sources(state, load_sources(options.sources_file))
    if options.is_large or options.categories is not None:
        _seed_category_grid(state, options.size("categories", len(CATEGORY_TREE)))
    else:
        _seed_categories(state)
    _seed_attributes(state)
    mdm_rows = read_mdm_products(options.mdm_url) if options.mdm_url else None
    if mdm_rows:
        state.seeded_from = "mdm"
        _seed_products(state, rng, now, mdm_rows)
    else:
        # The large shop sells stocked goods only, so its source items are exactly SKUs x 12 sources.
        rows = _generated_rows(rng, options.size("products", DEFAULT_PRODUCTS), configurables=not options.is_large)
        _seed_products(state, rng, now, rows)
    if options.is_large:
        _seed_every_source_item(state, rng)
    else:
        _seed_source_items(state, rng)
    seed_sales(state, rng, now, customers=options.size("customers", 0) or None,
               orders=options.size("orders", 0) or None)
    seed_cms(state, now)
    return state


def _seed_sources(state: SandboxState, mdm_sources: list[dict]) -> None:
    state.sources["default"] = {
        "source_code": "default", "name": "Default Source", "enabled": True, "description": "Default Source",
        "latitude": 0, "longitude": 0, "country_id": "MA", "postcode": "00000",
        "use_default_carrier_config": True, "carrier_links": [],
    }
    for i, row in enumerate(mdm_sources, start=1):
        code = row["magentoSource"]
        city = row["source"].split(" ")[0]
        state.sources[code] = {
            "source_code": code, "name": row["source"], "enabled": True,
            "description": f"Succursale {row['succursale']}", "latitude": 30.0 + i / 10, "longitude": -7.0 + i / 10,
            "country_id": "MA", "region": city, "city": city, "street": f"{i} Avenue Mohammed V",
            "postcode": f"{20000 + i * 10}", "contact_name": f"Magasin {city}",
            "email": f"{code}@example.ma", "phone": f"+212 5 22 00 00 {i:02d}", "priority": i,
            "use_default_carrier_config": True, "carrier_links": [],
        }
    state.stocks[1] = {"stock_id": 1, "name": "Default Stock", "extension_attributes": {"sales_channels": []},
                       "_source_codes": ["default"]}
    state.stocks[2] = {
        "stock_id": 2, "name": "Techno Maroc",
        "extension_attributes": {"sales_channels": [{"type": "website", "code": "base"}]},
        "_source_codes": [c for c in state.sources if c != "default"],
    }


def _seed_categories(state: SandboxState) -> None:
    stamp = "2023-01-01 00:00:00"

    def add(cat_id: int, parent: int, name: str, level: int, position: int, path: str) -> None:
        state.categories[cat_id] = {
            "id": cat_id, "parent_id": parent, "name": name, "is_active": True, "position": position,
            "level": level, "children": "", "created_at": stamp, "updated_at": stamp, "path": path,
            "available_sort_by": [], "include_in_menu": True,
        }

    add(1, 0, "Root Catalog", 0, 0, "1")
    add(2, 1, "Default Category", 1, 1, "1/2")
    next_id = 3
    for pos, (top, children) in enumerate(CATEGORY_TREE.items(), start=1):
        top_id = next_id
        add(top_id, 2, top, 2, pos, f"1/2/{top_id}")
        next_id += 1
        for cpos, child in enumerate(children, start=1):
            add(next_id, top_id, child, 3, cpos, f"1/2/{top_id}/{next_id}")
            next_id += 1
    for cat in state.categories.values():
        cat["children"] = ",".join(str(c["id"]) for c in state.categories.values() if c["parent_id"] == cat["id"])


def _seed_category_grid(state: SandboxState, total: int) -> None:
    """`total` categories (root and default included): top levels named after CATEGORY_TREE, then leaves."""
    stamp = "2023-01-01 00:00:00"
    tops = [f"{name} {i // len(CATEGORY_TREE) + 1}" if i >= len(CATEGORY_TREE) else name
            for i, name in enumerate(list(CATEGORY_TREE) * 4)][:max(1, min(20, (total - 2) // 10))]
    rows = [(1, 0, "Root Catalog", 0, "1"), (2, 1, "Default Category", 1, "1/2")]
    top_ids = []
    for name in tops:
        cat_id = len(rows) + 1
        top_ids.append(cat_id)
        rows.append((cat_id, 2, name, 2, f"1/2/{cat_id}"))
    leaf = 0
    while len(rows) < total:
        parent = top_ids[leaf % len(top_ids)]
        cat_id = len(rows) + 1
        base = NOUNS[leaf % len(NOUNS)]
        rows.append((cat_id, parent, f"{base} {leaf // len(NOUNS) + 1}", 3, f"1/2/{parent}/{cat_id}"))
        leaf += 1
    children: dict[int, list[str]] = {}
    for cat_id, parent, *_ in rows:
        children.setdefault(parent, []).append(str(cat_id))
    for position, (cat_id, parent, name, level, path) in enumerate(rows):
        state.categories[cat_id] = {
            "id": cat_id, "parent_id": parent, "name": name, "is_active": True, "position": position,
            "level": level, "children": ",".join(children.get(cat_id, [])), "created_at": stamp,
            "updated_at": stamp, "path": path, "available_sort_by": [], "include_in_menu": True,
        }


def _attribute(attr_id: int, code: str, label: str, frontend_input: str, backend_type: str,
               *, required: bool = False, user_defined: bool = False, scope: str = "global") -> dict:
    return {
        "attribute_id": attr_id, "attribute_code": code, "frontend_input": frontend_input, "entity_type_id": "4",
        "is_required": required, "is_user_defined": user_defined, "default_frontend_label": label,
        "frontend_labels": [], "backend_type": backend_type, "scope": scope, "is_unique": "0",
        "is_searchable": "1", "is_filterable": False, "is_comparable": "0", "is_visible": True,
        "is_visible_on_front": "0", "used_in_product_listing": "0", "is_used_in_grid": True,
        "is_visible_in_grid": False, "is_filterable_in_grid": True, "position": 0, "apply_to": [],
        "is_html_allowed_on_front": True, "used_for_sort_by": False, "is_wysiwyg_enabled": False,
        "is_filterable_in_search": False, "is_visible_in_advanced_search": "0", "is_used_for_promo_rules": "0",
        "validation_rules": [], "options": [],
    }


def _seed_attributes(state: SandboxState) -> None:
    specs = [
        (73, "name", "Product Name", "text", "varchar", True, False, "store"),
        (74, "sku", "SKU", "text", "static", True, False, "global"),
        (77, "price", "Price", "price", "decimal", True, False, "website"),
        (75, "description", "Description", "textarea", "text", False, False, "store"),
        (76, "short_description", "Short Description", "textarea", "text", False, False, "store"),
        (82, "weight", "Weight", "weight", "decimal", False, False, "global"),
        (97, "status", "Enable Product", "boolean", "int", False, False, "website"),
        (99, "visibility", "Visibility", "select", "int", False, False, "store"),
        (119, "url_key", "URL Key", "text", "varchar", False, False, "store"),
        (114, "country_of_manufacture", "Country of Manufacture", "select", "varchar", False, False, "website"),
        (136, "tax_class_id", "Tax Class", "select", "int", False, False, "website"),
        (160, "mgs_brand", "Brand", "select", "int", False, True, "global"),
    ]
    for attr_id, code, label, fin, btype, req, user, scope in specs:
        state.attributes[code] = _attribute(attr_id, code, label, fin, btype, required=req,
                                            user_defined=user, scope=scope)
    brand = state.attributes["mgs_brand"]
    brand["options"] = [{"label": " ", "value": ""}]
    for i, name in enumerate(BRANDS, start=1):
        brand["options"].append({"label": name, "value": str(200 + i), "sort_order": i, "is_default": False})
    state.next_option_id = 200 + len(BRANDS) + 1
    state.attributes["visibility"]["options"] = [
        {"label": lbl, "value": str(v)} for v, lbl in
        ((1, "Not Visible Individually"), (2, "Catalog"), (3, "Search"), (4, "Catalog, Search"))]


def _generated_rows(rng: random.Random, count: int, *, configurables: bool = True) -> list[MdmProduct]:
    rows = []
    for i in range(count):
        roll = rng.random()
        type_code = "S" if roll < 0.8 else ("V" if roll < 0.9 or not configurables else "C")
        name = f"{rng.choice(NOUNS)} {rng.choice(BRANDS)} {rng.choice(ADJECTIVES)}"
        rows.append(MdmProduct(sku=str(1000001 + i), type_code=type_code, name=name,
                               description=f"{name} - article de test {i + 1}", price=None))
    return rows


def _seed_products(state: SandboxState, rng: random.Random, now: datetime, rows: list[MdmProduct]) -> None:
    leaf_ids = [c["id"] for c in state.categories.values() if c["level"] == 3]
    brand_values = [o["value"] for o in state.attributes["mgs_brand"]["options"] if o["value"]]
    for row in rows:
        if sku_key(row.sku) in state.products:
            continue  # the MDM table holds one row per (product, store): keep the first
        type_id = _TYPE_BY_MDM.get((row.type_code or "S").upper()[:1], "simple")
        created = now - timedelta(days=rng.randint(30, 900), seconds=rng.randint(0, 86399))
        updated = created + timedelta(days=rng.randint(0, 29))
        cat = rng.choice(leaf_ids)
        price = row.price if row.price is not None else round(rng.uniform(5, 5000), 2)
        product = {
            "id": state.next_product_id, "sku": row.sku, "name": row.name or f"Produit {row.sku}",
            "attribute_set_id": 4, "price": 0 if type_id == "configurable" else price,
            "status": 1 if rng.random() < 0.93 else 2, "visibility": 4, "type_id": type_id,
            "created_at": created.strftime(DATE_FMT), "updated_at": updated.strftime(DATE_FMT),
            "extension_attributes": {
                "website_ids": [1], "category_links": [{"position": 0, "category_id": str(cat)}]},
            "product_links": [], "options": [], "media_gallery_entries": [], "tier_prices": [],
            "custom_attributes": [
                {"attribute_code": "description", "value": row.description or ""},
                {"attribute_code": "url_key", "value": f"produit-{row.sku}"},
                {"attribute_code": "mgs_brand", "value": rng.choice(brand_values)},
                {"attribute_code": "country_of_manufacture", "value": rng.choice(["MA", "FR", "CN", "DE"])},
                {"attribute_code": "tax_class_id", "value": "2"},
                {"attribute_code": "category_ids", "value": [str(cat)]},
                {"attribute_code": "options_container", "value": "container2"},
                {"attribute_code": "required_options", "value": "0"},
                {"attribute_code": "has_options", "value": "0"},
            ],
        }
        if type_id == "simple":
            product["weight"] = round(rng.uniform(0.05, 8), 2)
        state.next_product_id += 1
        state.products[sku_key(row.sku)] = product


def _seed_every_source_item(state: SandboxState, rng: random.Random) -> None:
    """Large shop: every stocked SKU at every store source (not 'default', which a multi-store shop leaves
    unused). One draw per item keeps 240,000 items well under a second."""
    store_sources = [c for c in state.sources if c != "default"]
    quantities = (0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0) + tuple(float(q) for q in range(5, 200, 3))
    pick = rng.choices
    items = state.source_items
    for product in state.products.values():
        if product["type_id"] == "configurable":
            continue
        sku, key = product["sku"], sku_key(product["sku"])
        for code, qty in zip(store_sources, pick(quantities, k=len(store_sources)), strict=True):
            items[(key, code)] = {"sku": sku, "source_code": code, "quantity": qty, "status": 1 if qty else 0}


def _seed_source_items(state: SandboxState, rng: random.Random) -> None:
    store_sources = [c for c in state.sources if c != "default"]
    for product in state.products.values():
        if product["type_id"] == "configurable":
            continue  # configurables carry no stock of their own
        codes = ["default"] + rng.sample(store_sources, k=min(len(store_sources), rng.randint(2, 6)))
        for code in codes:
            qty = float(rng.choice([0, 0, rng.randint(1, 5), rng.randint(5, 200)]))
            state.source_items[(sku_key(product["sku"]), code)] = {
                "sku": product["sku"], "source_code": code, "quantity": qty, "status": 1 if qty > 0 else 0}
