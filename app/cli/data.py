"""`manage.py db upgrade|current|seed`: the app database's migrations and the MDM demo data."""
from __future__ import annotations

import click
from rich.console import Console
from rich.progress import Progress

from app.cli.startup import settings_or_exit


@click.group()
def db() -> None:
    """The app and MDM databases: migrations and demo data."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def upgrade(revision: str) -> None:
    """Apply the app database's migrations (APP_DATABASE_URL)."""
    from app.adapters.appdb import current_revision, make_app_engine, upgrade_schema

    settings = settings_or_exit()
    engine = make_app_engine(settings)
    try:
        upgrade_schema(engine, settings.server.run_dir, revision)
        click.echo(f"app database at revision {current_revision(engine)}")
    finally:
        engine.dispose()


@db.command("current")
def current() -> None:
    """Print the app database's schema revision."""
    from app.adapters.appdb import current_revision, make_app_engine

    engine = make_app_engine(settings_or_exit())
    try:
        click.echo(current_revision(engine) or "not initialised")
    finally:
        engine.dispose()


@db.command("seed")
@click.option("--products", default=5000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--sources", default=12, show_default=True, type=click.IntRange(1, 200))
@click.option("--large", is_flag=True, help="Grow the set to 200,000 stock rows (benchmarks).")
@click.option("--seed", "seed_value", default=42, show_default=True, help="Random seed (deterministic data).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the MDM database already has products.")
@click.option("--yes", is_flag=True, help="Do not ask before replacing existing demo rows.")
def seed(products: int, sources: int, large: bool, seed_value: int, if_empty: bool, yes: bool) -> None:
    """Fill the MDM tables (MDM_DATABASE_URL) with a deterministic demo data set. Never on SQL Server."""
    from app.adapters.mdm.engine import make_mdm_engine
    from app.services.mdm.seed import is_empty, seed_demo_data

    settings = settings_or_exit()
    if settings.is_production:
        raise click.ClickException("demo data is refused in production (APP_ENV=production)")
    engine = make_mdm_engine(settings)
    try:
        if engine.dialect.name == "mssql":
            raise click.ClickException("refusing to seed a SQL Server database: that is the customer's MDM")
        empty = is_empty(engine)
        if if_empty and not empty:
            click.echo("MDM database already has products: not seeding")
            return
        if not empty and not yes and not if_empty:
            click.confirm("This replaces every row of the MDM demo tables. Continue?", abort=True)
        with Progress(console=Console(stderr=True)) as bar:
            tasks: dict[str, int] = {}

            def progress(label: str, done: int) -> None:  # rows written so far, per table
                if label not in tasks:
                    tasks[label] = bar.add_task(label, total=None)
                bar.update(tasks[label], completed=done)

            counts = seed_demo_data(engine, products=products, sources=sources, large=large, seed=seed_value,
                                    progress=progress, sources_file=settings.mdm.sources_file)
    finally:
        engine.dispose()
    click.echo("seeded: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


def register(cli: click.Group) -> None:
    cli.add_command(db)
