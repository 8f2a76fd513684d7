"""Engine factory behaviour, the store mapping and the demo seed."""
from __future__ import annotations

import json
import time
from datetime import datetime

import pytest
from sqlalchemy import func, select, text

from app.adapters.mdm.tables import (
    approvisionnement,
    mdm_engine,
    produits,
    stock_changes,
    tarif,
)
from app.adapters.sql import create_engine_for, ping
from app.errors import DependencyUnavailable
from app.services.mdm.prices import PriceQuery, fetch_prices
from app.services.mdm.seed import is_empty, seed_demo_data
from app.services.mdm.sources import load_sources, parse_sources


def test_unreachable_database_raises_dependency_unavailable_quickly():
    engine = create_engine_for("postgresql+psycopg://postgres@127.0.0.1:1/test", name="mdm",
                               connect_timeout=1, statement_timeout=5)
    started = time.monotonic()
    with pytest.raises(DependencyUnavailable) as info:
        ping(engine)
    assert time.monotonic() - started < 2.0
    assert info.value.status == 503 and info.value.details == {"dependency": "mdm"}


def test_sqlite_file_and_directory_are_created_with_wal(tmp_path):
    path = tmp_path / "deep" / "dir" / "mdm.sqlite3"
    engine = create_engine_for(f"sqlite:///{path}", name="mdm")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert path.exists()


def test_sqlite_statement_timeout_interrupts_a_runaway_query(tmp_path):
    engine = create_engine_for(f"sqlite:///{tmp_path / 'slow.db'}", name="mdm", statement_timeout=0.2)
    runaway = text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
    from app.adapters.sql import connect
    started = time.monotonic()
    with pytest.raises(DependencyUnavailable, match="timed out"), connect(engine) as conn:
        conn.execute(runaway)
    assert time.monotonic() - started < 2.0


def test_sources_file_is_the_12_store_mapping():
    stores = load_sources()
    assert len(stores) == 12
    assert stores[0].as_dict() == {"code_source": "1", "source": "Casablanca Maarif",
                                   "magentoSource": "src_casablanca", "succursale": "101"}


@pytest.mark.parametrize("data", [{}, [{"code_source": "1"}], [{"code_source": "x", "source": "a",
                                   "magentoSource": "b", "succursale": "c"}]])
def test_bad_sources_file_is_refused(data, tmp_path):
    with pytest.raises(ValueError):
        parse_sources(json.loads(json.dumps(data)))


def test_seed_is_deterministic_realistic_and_merged(tmp_path):
    now = datetime(2025, 6, 15, 12, 0, 0)
    counts = []
    for name in ("a", "b"):
        engine = mdm_engine(create_engine_for(f"sqlite:///{tmp_path / name}.db", name="mdm"))
        assert is_empty(engine)
        started = time.monotonic()
        counts.append(seed_demo_data(engine, now=now))
        elapsed = time.monotonic() - started
        assert not is_empty(engine)
    assert counts[0] == counts[1]
    c = counts[0]
    assert c["products"] >= 5000 and c["movements"] >= 60_000 and 0 < c["changed"] < c["stock_rows"]
    assert elapsed < 20
    with engine.connect() as conn:
        kinds = dict(conn.execute(select(produits.c.TypeProd, func.count()).group_by(produits.c.TypeProd)).all())
        assert set(kinds) == {"S", "V", "C"}
        assert conn.execute(select(func.count()).select_from(approvisionnement)
                            .where(approvisionnement.c.QteStock.is_(None))).scalar() > 0
        assert conn.execute(select(func.count(func.distinct(tarif.c.Code_TarifType)))).scalar() == 2
        assert conn.execute(select(func.count(func.distinct(stock_changes.c.Code_Source)))).scalar() == 12
    window = fetch_prices(engine, PriceQuery(today=now.date())).total_count
    everything = fetch_prices(engine, PriceQuery(today=now.date(), window_days=10_000)).total_count
    assert 0 < window < everything


def test_seed_runs_on_every_backend(db):
    counts = seed_demo_data(db, products=60, sources=3, now=datetime(2025, 6, 15))
    assert counts["products"] == 60 and counts["stock_rows"] > 0
