"""The app's own database (APP_DATABASE_URL): engine, versioned schema upgrades, health check.

Never the customer's MDM schema. Schema changes go through alembic (migrations/); `upgrade_schema`
runs them under a host-wide file lock so several workers starting at once cannot race.
"""
from __future__ import annotations

import fcntl
import logging
import os
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from sqlalchemy import Engine, text

from app.adapters.sql import create_engine_for
from config.current import get_settings
from config.settings import Settings

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"


def make_app_engine(settings: Settings) -> Engine:
    database = settings.database
    return create_engine_for(database.app_database_url, connect_timeout=database.connect_timeout,
                             statement_timeout=database.statement_timeout, pool_size=database.pool_size,
                             name="app_database")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine, run_dir: str, revision: str = "head") -> None:
    """Apply pending migrations, holding a file lock in RUN_DIR while doing it."""
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "migrate.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            command.upgrade(alembic_config(engine), revision)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:
            return None


def get_app_engine() -> Engine:
    return current_app.extensions["app_db"]


def _check():
    from app.services.health import CheckResult

    start = time.perf_counter()
    revision = current_revision(get_app_engine())
    ms = round((time.perf_counter() - start) * 1000, 2)
    if revision is None:
        return CheckResult("fail", ms, "ms", "schema not initialised: run `python manage.py db upgrade`")
    return CheckResult("pass", ms, "ms", f"schema revision {revision}")


def init_app(app: Flask) -> None:
    from app.services.health import register_check

    settings = get_settings(app)
    engine = make_app_engine(settings)
    app.extensions["app_db"] = engine
    if settings.database.auto_upgrade:
        upgrade_schema(engine, settings.server.run_dir)
    register_check(app, "app_database", _check, component_type="datastore")
