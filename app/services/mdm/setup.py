"""Wiring of the MDM area into the app: engine, store mapping, slow-query threshold, `database` health check."""
from __future__ import annotations

import time
from datetime import date, datetime

from flask import Flask, current_app
from sqlalchemy import Engine, func, select

from app.adapters import sql
from app.adapters.mdm.tables import approvisionnement, mdm_engine, produits, stock_changes, tarif
from app.errors import DependencyUnavailable
from app.services.mdm.metrics import set_slow_query_threshold
from app.services.mdm.sources import StoreSource, load_sources
from config.current import get_settings
from config.settings import Settings

CACHE_NAMESPACE = "mdm"
SLOW_QUERY_MS = 500.0  # MDM queries slower than this are logged (with their statement name)
# What a 503 mdm_schema_missing and the readiness check tell the user to do.
SCHEMA_FIX = ("run `python manage.py db seed` (creates the MDM tables with demo data; AUTO_SEED does it in "
              "`manage.py up`), or point MDM_DATABASE_URL at the MDM database.")


def make_mdm_engine(settings: Settings) -> Engine:
    """The MDM engine from settings (MDM_DATABASE_URL and the DB_* timeouts), names translated."""
    raw = sql.create_engine_for(settings.mdm.database_url, connect_timeout=settings.database.connect_timeout,
                                statement_timeout=settings.database.statement_timeout,
                                pool_size=settings.database.pool_size, name="mdm")
    return mdm_engine(raw)


def init_app(app: Flask) -> None:
    """Create the engine (lazy: no connection yet), load the store mapping, register the health check."""
    from app.services.health import register_check

    settings = get_settings(app)
    app.extensions["mdm_db"] = make_mdm_engine(settings)
    app.extensions["mdm_sources"] = load_sources(settings.mdm.sources_file)  # a broken file stops the start
    set_slow_query_threshold(SLOW_QUERY_MS)
    sql.install_schema_fix(app, "mdm", SCHEMA_FIX)  # a missing table is 503 mdm_schema_missing, not a 500
    register_check(app, "database", _check, critical=True, component_type="datastore")


def get_mdm_engine() -> Engine:
    return current_app.extensions["mdm_db"]


def get_sources() -> tuple[StoreSource, ...]:
    return current_app.extensions["mdm_sources"]


def price_window_days() -> int:
    return int(get_settings().mdm.price_window_days)


def business_today() -> date:
    """Tariff validity is judged on the local calendar date, as the MDM (SQL Server GETDATE()) does."""
    return datetime.now().date()


def invalidate_mdm_cache() -> None:
    """Drop cached prices/inventory pages; call after anything that writes StockChanges (MERGE, acknowledge)."""
    from app.services.cache import get_cache

    get_cache().clear_namespace(CACHE_NAMESPACE)


def missing_tables(conn, engine: Engine) -> list[str]:
    """The MDM tables the service needs that this database lacks."""
    from sqlalchemy import inspect

    inspector = inspect(conn)
    # Outside SQL Server, schema_translate_map sends dbo/EComm to one schema (None: the default one).
    translate = engine.get_execution_options().get("schema_translate_map")
    return [t.name for t in (produits, tarif, approvisionnement, stock_changes)
            if not inspector.has_table(t.name, schema=translate.get(t.schema, t.schema) if translate else t.schema)]


def _check():
    """Connectivity and the MDM tables decide pass/fail: without its tables every MDM route and sync
    job fails, so the instance is not ready (the detail names the tables and the fix)."""
    from app.services.health import CheckResult

    engine = get_mdm_engine()
    started = time.perf_counter()
    try:
        with sql.connect(engine) as conn:
            conn.execute(select(1)).scalar_one()
            ms = round((time.perf_counter() - started) * 1000, 2)
            missing = missing_tables(conn, engine)
            if missing:
                reason = f"MDM tables missing: {', '.join(missing)}: {SCHEMA_FIX}"
                return CheckResult("fail", ms, "ms", reason, details={"missingTables": missing}, note=reason)
            products = conn.execute(select(func.count()).select_from(produits)).scalar_one()
    except DependencyUnavailable as exc:
        return CheckResult("fail", None, "ms", exc.message)
    return CheckResult("pass", ms, "ms", f"{engine.dialect.name}: {products} products")
