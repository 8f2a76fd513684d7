"""Price rules on every backend: 0/9 pairing, validity windows, homogeneous variants, the N-day window."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from mdm_rows import insert, price_row, product, produits, tarif

from app.errors import InvalidInput
from app.services.mdm.prices import PriceQuery, fetch_price_map, fetch_prices

TODAY = date(2025, 6, 15)
RECENT = datetime(2025, 6, 10)       # inside the 22-day window
OLD = datetime(2025, 1, 1)           # outside it


def prices(db, **kwargs) -> dict[str, float]:
    page = fetch_prices(db, PriceQuery(today=TODAY, **kwargs))
    return {row["sku"]: row["price"] for row in page.rows}


def test_ecommerce_price_needs_its_type0_reference(db):
    insert(db, produits, [product("P1"), product("P2"), product("P3")])
    insert(db, tarif, [
        price_row("P1", "R", 0, "100.00"), price_row("P1", "E", 9, "90.00", ref="R", modified=RECENT),
        # reference list named, but it is type 9, not 0
        price_row("P2", "R", 9, "100.00", start=date(2019, 1, 1)), price_row("P2", "E", 9, "80.00", ref="R",
                                                                             modified=RECENT),
        # reference list that does not exist for this product
        price_row("P3", "E", 9, "70.00", ref="NOPE", modified=RECENT),
    ])
    assert prices(db) == {"P1": 90.0}


def test_only_tariffs_valid_today_count_and_the_latest_start_wins(db):
    insert(db, produits, [product(c) for c in ("EXPIRED", "FUTURE", "OPEN", "TWO", "ENDS_TODAY")])
    rows = []
    for code in ("EXPIRED", "FUTURE", "OPEN", "TWO", "ENDS_TODAY"):
        rows.append(price_row(code, "R", 0, "10.00"))
    rows += [
        price_row("EXPIRED", "E", 9, "1.00", ref="R", end=TODAY - timedelta(days=1), modified=RECENT),
        price_row("FUTURE", "E", 9, "2.00", ref="R", start=TODAY + timedelta(days=1), modified=RECENT),
        price_row("OPEN", "E", 9, "3.00", ref="R", start=TODAY - timedelta(days=100), modified=RECENT),
        price_row("TWO", "E", 9, "4.00", ref="R", start=TODAY - timedelta(days=100), modified=RECENT),
        price_row("TWO", "E", 9, "5.00", ref="R", start=TODAY - timedelta(days=5), modified=RECENT),
        price_row("ENDS_TODAY", "E", 9, "6.00", ref="R", end=TODAY, modified=RECENT),
    ]
    insert(db, tarif, rows)
    assert prices(db) == {"OPEN": 3.0, "TWO": 5.0, "ENDS_TODAY": 6.0}


def test_variant_of_homogeneous_configurable_takes_parent_price(db):
    insert(db, produits, [
        product("CONF_H", "C", homog=1), product("V1", "V", parent="CONF_H"), product("V2", "V", parent="CONF_H"),
        product("CONF_X", "C", homog=0), product("V3", "V", parent="CONF_X"),
    ])
    rows = []
    for code, amount in (("CONF_H", "500.00"), ("V1", "111.00"), ("CONF_X", "600.00"), ("V3", "333.00")):
        rows += [price_row(code, "R", 0, amount), price_row(code, "E", 9, amount, ref="R", modified=RECENT)]
    insert(db, tarif, rows)
    # V2 has no tariff of its own but still gets the parent's; V3's parent is not homogeneous.
    assert prices(db) == {"CONF_H": 500.0, "V1": 500.0, "V2": 500.0, "CONF_X": 600.0, "V3": 333.0}


def test_only_recent_price_changes_or_recent_products_are_returned(db):
    insert(db, produits, [product("STALE"), product("REPRICED"), product("NEW", created=datetime(2025, 6, 14)),
                          product("EDGE")])
    rows = []
    for code, modified in (("STALE", OLD), ("REPRICED", RECENT), ("NEW", OLD),
                           ("EDGE", datetime.combine(TODAY - timedelta(days=22), datetime.min.time()))):
        rows += [price_row(code, "R", 0, "10.00"), price_row(code, "E", 9, "9.00", ref="R", modified=modified)]
    insert(db, tarif, rows)
    assert set(prices(db)) == {"REPRICED", "NEW", "EDGE"}
    assert set(prices(db, window_days=3)) == {"NEW"}
    assert set(prices(db, window_days=365)) == {"STALE", "REPRICED", "NEW", "EDGE"}


def test_sku_category_limit_offset_and_total_count(db):
    insert(db, produits, [product(f"S{i:02d}", category="A" if i % 2 else "B") for i in range(10)])
    insert(db, tarif, [r for i in range(10) for r in (
        price_row(f"S{i:02d}", "R", 0, "1.00"), price_row(f"S{i:02d}", "E", 9, f"{i}.50", ref="R", modified=RECENT))])
    page = fetch_prices(db, PriceQuery(today=TODAY, category="A", limit=2, offset=1))
    assert [r["sku"] for r in page.rows] == ["S03", "S05"]
    assert page.total_count == 5
    assert prices(db, sku="S04") == {"S04": 4.5}
    assert fetch_prices(db, PriceQuery(today=TODAY, limit=0)).total_count == 10


def test_price_map_ignores_the_window(db):
    insert(db, produits, [product("OLD1")])
    insert(db, tarif, [price_row("OLD1", "R", 0, "10.00"), price_row("OLD1", "E", 9, "7.25", ref="R", modified=OLD)])
    assert fetch_price_map(db, ["OLD1", "MISSING"], TODAY) == {"OLD1": 7.25}


@pytest.mark.parametrize("kwargs", [{"limit": -1}, {"offset": -5}, {"window_days": -1}, {"limit": 10**7}])
def test_invalid_paging_is_rejected(kwargs):
    with pytest.raises(InvalidInput):
        PriceQuery(today=TODAY, **kwargs)
