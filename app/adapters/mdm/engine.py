"""The MDM database engine, built from settings (MDM_DATABASE_URL and the DB_* timeouts), names translated."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from app.adapters import sql
from app.adapters.mdm.tables import mdm_engine

if TYPE_CHECKING:
    from config import Settings


def make_mdm_engine(settings: Settings) -> Engine:
    """A lazy engine (no connection yet) named "mdm": the breaker, bulkhead and schema fix find it by name."""
    raw = sql.create_engine_for(settings.mdm.database_url, connect_timeout=settings.database.connect_timeout,
                                statement_timeout=settings.database.statement_timeout,
                                pool_size=settings.database.pool_size, name="mdm")
    return mdm_engine(raw)
