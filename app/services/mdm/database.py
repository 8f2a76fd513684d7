"""Wiring of the MDM area into the app: its repository, slow-query threshold, schema fix, `database` health check."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from flask import Flask
from sqlalchemy import Connection, Engine, func, select

from app.adapters import sql
from app.adapters.cache import CacheService
from app.adapters.mdm.engine import make_mdm_engine
from app.adapters.mdm.tables import approvisionnement, produits, stock_changes, tarif
from app.errors import DependencyUnavailable
from app.services.mdm.metrics import set_slow_query_threshold
from app.services.mdm.repository import EXTENSION_KEY, MdmRepository, get_mdm
from app.services.mdm.sources import load_sources

if TYPE_CHECKING:
    from app.services.health import CheckResult, HealthRegistry
    from config import Settings

SLOW_QUERY_MS = 500.0  # MDM queries slower than this are logged (with their statement name)
# What a 503 mdm_schema_missing and the readiness check tell the user to do.
SCHEMA_FIX = ("run `python manage.py db seed` (creates the MDM tables with demo data; AUTO_SEED does it in "
              "`manage.py up`), or point MDM_DATABASE_URL at the MDM database.")


def init_app(app: Flask, settings: Settings, cache: CacheService, health: HealthRegistry) -> MdmRepository:
    """Build the repository (lazy engine: no connection yet; the store mapping: a broken file stops the start),
    and register the `database` health check."""
    mdm = MdmRepository(engine=make_mdm_engine(settings), sources=load_sources(settings.mdm.sources_file),
                        price_window_days=int(settings.mdm.price_window_days), cache=cache)
    app.extensions[EXTENSION_KEY] = mdm
    set_slow_query_threshold(SLOW_QUERY_MS)
    sql.install_schema_fix(app, "mdm", SCHEMA_FIX)  # a missing table is 503 mdm_schema_missing, not a 500
    health.register("database", _check, critical=True, component_type="datastore")
    return mdm


def missing_tables(conn: Connection, engine: Engine) -> list[str]:
    """The MDM tables the service needs that this database lacks."""
    from sqlalchemy import inspect

    inspector = inspect(conn)
    # Outside SQL Server, schema_translate_map sends dbo/EComm to one schema (None: the default one).
    translate = engine.get_execution_options().get("schema_translate_map")
    return [t.name for t in (produits, tarif, approvisionnement, stock_changes)
            if not inspector.has_table(t.name, schema=translate.get(t.schema, t.schema) if translate else t.schema)]


def _check() -> CheckResult:
    """Connectivity and the MDM tables decide pass/fail: without its tables every MDM route and sync
    job fails, so the instance is not ready (the detail names the tables and the fix)."""
    from app.services.health import CheckResult

    engine = get_mdm().engine
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
