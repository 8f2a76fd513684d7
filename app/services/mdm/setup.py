"""Wiring of the MDM area into the app: engine, store mapping, slow-query threshold, `database` health check."""
from __future__ import annotations

import time
from datetime import date, datetime

from flask import Flask, current_app
from sqlalchemy import Engine, func, select

from app.adapters import sql
from app.adapters.mdm.tables import mdm_engine, produits
from app.errors import DependencyUnavailable
from app.services.mdm.metrics import set_slow_query_threshold
from app.services.mdm.sources import StoreSource, load_sources

CACHE_NAMESPACE = "mdm"


def make_mdm_engine(settings) -> Engine:
    """The MDM engine from settings (MDM_DATABASE_URL and the DB_* timeouts), names translated."""
    raw = sql.create_engine_for(settings.mdm_database_url, connect_timeout=settings.db_connect_timeout,
                                statement_timeout=settings.db_statement_timeout,
                                pool_size=settings.db_pool_size, name="mdm")
    return mdm_engine(raw)


def init_app(app: Flask) -> None:
    """Create the engine (lazy: no connection yet), load the store mapping, register the health check."""
    from app.services.health import register_check

    settings = app.config["SETTINGS"]
    app.extensions["mdm_db"] = make_mdm_engine(settings)
    app.extensions["mdm_sources"] = load_sources(settings.sources_file)  # a broken file stops the start
    set_slow_query_threshold(settings.mdm_slow_query_ms)
    register_check(app, "database", _check, critical=True, component_type="datastore")


def get_mdm_engine() -> Engine:
    return current_app.extensions["mdm_db"]


def get_sources() -> tuple[StoreSource, ...]:
    return current_app.extensions["mdm_sources"]


def price_window_days() -> int:
    return int(current_app.config["SETTINGS"].mdm_price_window_days)


def business_today() -> date:
    """Tariff validity is judged on the local calendar date, as the MDM (SQL Server GETDATE()) does."""
    return datetime.now().date()


def invalidate_mdm_cache() -> None:
    """Drop cached prices/inventory pages; call after anything that writes StockChanges (MERGE, acknowledge)."""
    from app.services.cache import get_cache

    get_cache().clear_namespace(CACHE_NAMESPACE)


def _check():
    """Connectivity decides pass/fail; missing MDM tables only warn (the database itself answers)."""
    from sqlalchemy import inspect

    from app.services.health import CheckResult

    engine = get_mdm_engine()
    started = time.perf_counter()
    try:
        with sql.connect(engine) as conn:
            conn.execute(select(1)).scalar_one()
            ms = round((time.perf_counter() - started) * 1000, 2)
            if not inspect(conn).has_table(produits.name, schema=None if engine.dialect.name != "mssql"
                                           else produits.schema):
                return CheckResult("warn", ms, "ms", "MDM tables missing: run `python manage.py db seed`")
            products = conn.execute(select(func.count()).select_from(produits)).scalar_one()
    except DependencyUnavailable as exc:
        return CheckResult("fail", None, "ms", exc.message)
    return CheckResult("pass", ms, "ms", f"{engine.dialect.name}: {products} products")
