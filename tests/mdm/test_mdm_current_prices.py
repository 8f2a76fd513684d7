"""The pre-computed current tariff on every backend: same answers as the live ranking, and kept correct
when tariffs change, when the date moves, and (after max_age_s) when a change leaves no marker."""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta

from mdm_rows import insert, price_row, product, produits, tarif
from sqlalchemy import delete, update

from app.services.mdm import current_prices
from app.services.mdm.prices import PriceQuery, fetch_prices, fetch_prices_live
from app.services.mdm.seed import seed_demo_data
from tests.support.servers import wait_until

TODAY = date(2025, 6, 15)
RECENT = datetime(2025, 6, 10)


def _prices(db, today: date = TODAY, **kwargs) -> dict[str, float]:
    return {r["sku"]: r["price"] for r in fetch_prices(db, PriceQuery(today=today, **kwargs)).rows}


def _two_products(db) -> None:
    insert(db, produits, [product("P1"), product("P2")])
    insert(db, tarif, [
        price_row("P1", "R", 0, "100.00"), price_row("P1", "E", 9, "90.00", ref="R", modified=RECENT),
        price_row("P2", "R", 0, "50.00"), price_row("P2", "E", 9, "45.00", ref="R", modified=RECENT,
                                                   end=TODAY),
    ])


def test_precomputed_answers_equal_the_live_ranking_on_the_demo_set(db):
    now = datetime(2025, 6, 15, 12)
    seed_demo_data(db, products=400, sources=2, now=now)
    queries = [PriceQuery(today=now.date()), PriceQuery(today=now.date(), limit=25, offset=40),
               PriceQuery(today=now.date(), category="Gaming"), PriceQuery(today=now.date(), window_days=5000),
               PriceQuery(today=now.date(), sku="1000007", window_days=5000),
               PriceQuery(today=now.date(), limit=10, offset=100_000), PriceQuery(today=now.date(), limit=0)]
    for query in queries:
        fast, live = fetch_prices(db, query), fetch_prices_live(db, query)
        assert fast.total_count == live.total_count, query
        assert sorted(fast.rows, key=lambda r: r["sku"]) == sorted(live.rows, key=lambda r: r["sku"]), query
    assert fetch_prices(db, queries[0]).total_count > 0


def test_a_changed_tariff_is_seen_by_the_next_query(db):
    _two_products(db)
    assert _prices(db) == {"P1": 90.0, "P2": 45.0}
    with db.begin() as conn:  # the MDM reprices P1 and stamps the row, as it does for every write
        conn.execute(update(tarif).where(tarif.c.Code_MDM == "P1", tarif.c.Code_Tarif == "E")
                     .values(Tarif="79.00", DateModif=datetime(2025, 6, 15, 9)))
    assert _prices(db) == {"P1": 79.0, "P2": 45.0}


def test_a_new_tariff_and_a_new_product_are_seen_by_the_next_query(db):
    _two_products(db)
    assert "P3" not in _prices(db)
    insert(db, produits, [product("P3", created=datetime(2025, 6, 14))])
    insert(db, tarif, [price_row("P3", "R", 0, "10.00"), price_row("P3", "E", 9, "9.50", ref="R")])
    assert _prices(db)["P3"] == 9.5
    insert(db, tarif, [price_row("P1", "E2", 9, "70.00", ref="R", start=date(2025, 6, 1),
                                 modified=datetime(2025, 6, 15, 8))])
    assert _prices(db)["P1"] == 70.0  # the later start wins


def test_the_table_follows_the_business_date(db):
    _two_products(db)
    assert set(_prices(db)) == {"P1", "P2"}
    assert set(_prices(db, today=TODAY + timedelta(days=1))) == {"P1"}  # P2's tariff ended yesterday


def test_a_change_without_marker_is_seen_once_the_table_is_older_than_max_age(db):
    _two_products(db)
    assert _prices(db) == {"P1": 90.0, "P2": 45.0}
    with db.begin() as conn:  # a deletion leaves no newer DateModif behind
        conn.execute(delete(tarif).where(tarif.c.Code_MDM == "P2"))
    assert _prices(db) == {"P1": 90.0, "P2": 45.0}  # within max age: the documented staleness
    assert {r["sku"] for r in fetch_prices(db, PriceQuery(today=TODAY), max_age_s=0).rows} == {"P1"}
    assert _prices(db) == {"P1": 90.0}  # and the rebuilt table serves everyone after


def test_concurrent_readers_of_a_stale_table_rank_once(db, monkeypatch):
    import threading

    _two_products(db)
    builds = []
    real_build = current_prices._build

    def counting_build(*args):
        builds.append(1)
        return real_build(*args)

    monkeypatch.setattr(current_prices, "_build", counting_build)
    current_prices.invalidate_price_tables()
    threads = [threading.Thread(target=_prices, args=(db,)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(builds) == 1


def test_an_old_table_answers_at_once_and_is_re_ranked_behind_the_request(db):
    _two_products(db)
    assert _prices(db) == {"P1": 90.0, "P2": 45.0}
    with db.begin() as conn:  # no marker moves: only the table's age can reveal this
        conn.execute(delete(tarif).where(tarif.c.Code_MDM == "P2"))
    query = PriceQuery(today=TODAY)
    time.sleep(0.05)
    stale = fetch_prices(db, query, max_age_s=0.01)
    assert {r["sku"] for r in stale.rows} == {"P1", "P2"}  # answered from the old table, not blocked
    wait_until(lambda: {r["sku"] for r in fetch_prices(db, query).rows} == {"P1"} or None, timeout=30)
