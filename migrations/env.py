"""Alembic environment for the app's own database; the engine comes from app.adapters.appdb."""
from __future__ import annotations

from alembic import context

from app.adapters.appdb_tables import metadata

config = context.config


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:  # plain `alembic` CLI: build the engine from the settings
        from app.adapters.appdb import make_app_engine
        from config import load_settings

        engine = make_app_engine(load_settings())
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        context.run_migrations()


run_migrations()
