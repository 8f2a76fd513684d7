"""The app's own database (APP_DATABASE_URL): engine, versioned schema upgrades, health check.

Never the customer's MDM schema. Schema changes go through alembic (migrations/); `upgrade_schema`
runs them under a host-wide file lock so several workers starting at once cannot race.
"""
from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from sqlalchemy import Engine, text

from app.adapters.sql import create_engine_for
from config.settings import Settings

if TYPE_CHECKING:
    from config import Settings

log = logging.getLogger(__name__)
EXTENSION_KEY = "app_db"
MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"


def make_app_engine(settings: Settings) -> Engine:
    return create_engine_for(settings.database.app_database_url, connect_timeout=settings.database.connect_timeout,
                             statement_timeout=settings.database.statement_timeout,
                             pool_size=settings.database.pool_size, name="app_database")


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


def get_app_engine(app: Flask | None = None) -> Engine:
    """The app database's engine (`app`, else the current app)."""
    engine: Engine = (app or current_app).extensions[EXTENSION_KEY]
    return engine


def init_app(app: Flask, settings: Settings) -> Engine:
    """Build the engine (migrated first when APP_DB_AUTO_UPGRADE); its health check is registered by
    app.services.health."""
    engine = make_app_engine(settings)
    app.extensions[EXTENSION_KEY] = engine
    if settings.database.auto_upgrade:
        upgrade_schema(engine, settings.server.run_dir)
    return engine
