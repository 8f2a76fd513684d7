"""Benchmark of the MDM queries: inventory grid page on the 200,000-row set and prices on 50,000 products.

Run:  .venv/bin/python bench/bench_mdm.py [--pg-url URL] [--no-pg] [--no-sqlite] [--iterations 200] [--keep]
          [--prices-only]

For SQLite and PostgreSQL it seeds the large demo set (``seed_demo_data(large=True)``: 200,000 StockChanges
rows) and a 50,000-product set, then reports p50/p95 of
- the inventory page exactly as GET /api/mdm/inventory runs it (page rows + totalCount + price lookup),
  25 rows, a filter and a sort;
- the prices query (the default 22-day window, all rows; and one page of 100);
each beside a baseline measured in the same run (``SELECT 1`` round trip and a primary-key lookup) and the
ratio to it. Goal: inventory p95 < 30 ms on each backend; prices p95 < 50 ms, shown before (the live
ranking, `fetch_prices_live`) and after (the pre-computed current tariff, `fetch_prices`) in the same run.
PostgreSQL data goes to throw-away schemas.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, select, text

from app.adapters.mdm.tables import mdm_engine, stock_changes
from app.adapters.sql import create_engine_for
from app.services.mdm.current_prices import invalidate_price_tables
from app.services.mdm.inventory import fetch_inventory
from app.services.mdm.inventory_params import parse_inventory_params
from app.services.mdm.prices import PriceQuery, fetch_prices, fetch_prices_live
from app.services.mdm.seed import seed_demo_data
from app.services.mdm.sources import load_sources

GRID_CASES = {
    "source filter + sort QteStock desc, page 3": {
        "page": "3", "pageSize": "25", "sourceCode": "5", "sortField": "QteStock", "sortOrder": "desc"},
    "changed only + sort DateDernierMaJ desc, page 0": {
        "page": "0", "pageSize": "25", "showChangedOnly": "true", "sortField": "DateDernierMaJ",
        "sortOrder": "desc"},
    "search text + sort Code_MDM, page 1": {
        "page": "1", "pageSize": "25", "search": "Samsung", "sortField": "Code_MDM", "sortOrder": "asc"},
}


def measure(fn: Callable[[], object], iterations: int) -> tuple[float, float]:
    for _ in range(max(3, iterations // 20)):  # warm the pool, caches and plans
        fn()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    q = statistics.quantiles(samples, n=100)
    return statistics.median(samples), q[94]


def report(label: str, p50: float, p95: float, base95: float) -> None:
    print(f"  {label:<52} p50 {p50:8.2f} ms   p95 {p95:8.2f} ms   ({p95 / base95:6.1f}x baseline p95)")


def seeded(engine: Engine, label: str, **kwargs: object) -> None:
    started = time.perf_counter()
    counts = seed_demo_data(engine, **kwargs)  # type: ignore[arg-type]
    print(f"  seeded {label}: {counts} in {time.perf_counter() - started:.1f} s")


def bench_backend(name: str, url: str, schema_base: str | None, iterations: int, keep: bool,
                  prices_only: bool = False) -> None:
    print(f"\n== {name} ({url.split('@')[-1]})")
    raw = create_engine_for(url, name="mdm", connect_timeout=2, statement_timeout=600, pool_size=2)
    schemas = []
    if schema_base:  # PostgreSQL: one schema for each data set
        schemas = [f"{schema_base}_large", f"{schema_base}_prices"]
        with raw.begin() as conn:
            for schema in schemas:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                conn.execute(text(f"CREATE SCHEMA {schema}"))
        large, priced = (mdm_engine(raw, schema=s) for s in schemas)
        other_raw = None
    else:
        large = mdm_engine(raw)
        other_raw = create_engine_for(url.replace(".sqlite3", "-prices.sqlite3"), name="mdm", connect_timeout=2,
                                      statement_timeout=600, pool_size=2)
        priced = mdm_engine(other_raw)
    try:
        if not prices_only:
            seeded(large, "large set", large=True)
        seeded(priced, "50,000 products", products=50_000)
        # Fresh bulk loads: give the planner statistics and PostgreSQL its visibility map (index-only
        # scans), as autovacuum would shortly after a real load.
        if schema_base:
            with raw.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            for engine in (priced,) if prices_only else (large, priced):
                with engine.begin() as conn:
                    conn.execute(text("ANALYZE"))
        stores, today = load_sources(), date.today()

        def select_one() -> None:
            with priced.connect() as conn:
                conn.execute(text("SELECT 1")).scalar()

        b50, b95 = measure(select_one, iterations)
        print("  baseline")
        report("SELECT 1 round trip", b50, b95, b95)
        if not prices_only:
            bench_inventory(large, stores, today, iterations, b95)

        print("  prices, 50,000 products: before (ranking every tariff per call) / after (pre-computed table)")
        every = PriceQuery(today=today)
        invalidate_price_tables()
        started = time.perf_counter()
        rows = fetch_prices(priced, every).total_count
        print(f"  first call after a change (ranks once, builds the table): "
              f"{(time.perf_counter() - started) * 1000:.1f} ms")
        page = PriceQuery(today=today, limit=100, offset=200)
        for label, query in ((f"all rows in the 22-day window ({rows} rows)", every),
                             ("one page of 100 + totalCount", page)):
            l50, l95 = measure(lambda q=query: fetch_prices_live(priced, q), max(10, iterations // 10))
            report("before: " + label, l50, l95, b95)
            p50, p95 = measure(lambda q=query: fetch_prices(priced, q), iterations)
            report("after:  " + label, p50, p95, b95)
            print(f"  {'':<52} after/before p95: {p95 / l95:.3f} ({l95 / p95:.0f}x faster)")
    finally:
        if schemas and not keep:
            with raw.begin() as conn:
                for schema in schemas:
                    conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        raw.dispose()
        if other_raw is not None:
            other_raw.dispose()


def bench_inventory(large: Engine, stores: list, today: date, iterations: int, b95: float) -> None:
    """The StockChanges primary-key lookup and the grid cases on the 200,000-row set."""
    with large.connect() as conn:
        key = conn.execute(select(stock_changes.c.Code_MDM, stock_changes.c.Code_Source).limit(1)).one()

    def pk_lookup() -> None:
        with large.connect() as conn:
            conn.execute(select(stock_changes).where(stock_changes.c.Code_MDM == key[0],
                                                     stock_changes.c.Code_Source == key[1])).one()

    p50, p95 = measure(pk_lookup, iterations)
    report("StockChanges primary-key lookup", p50, p95, b95)
    print("  inventory page (25 rows, rows + totalCount + Tarif lookup), 200,000-row set")
    for label, params in GRID_CASES.items():
        query = parse_inventory_params(params)
        p50, p95 = measure(lambda q=query: fetch_inventory(large, q, stores, today=today), iterations)
        report(label, p50, p95, b95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--sqlite-dir", default=None, help="directory for the SQLite files (default: temp)")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL bench schemas")
    parser.add_argument("--prices-only", action="store_true", help="skip the 200,000-row set and the grid")
    args = parser.parse_args()
    directory = Path(args.sqlite_dir or tempfile.mkdtemp(prefix="bench-mdm-"))
    if not args.no_sqlite:
        bench_backend("sqlite", f"sqlite:///{directory / 'bench.sqlite3'}", None, args.iterations, args.keep,
                      args.prices_only)
    if not args.no_pg:
        bench_backend("postgresql", args.pg_url, "bench_mdm", args.iterations, args.keep, args.prices_only)


if __name__ == "__main__":
    main()
