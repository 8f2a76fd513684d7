"""`manage.py db seed-voting`: demo categories, features and votes for the voting board (development)."""
from __future__ import annotations

import click

from app.cli.startup import settings_or_exit


@click.command("seed-voting")
@click.option("--reset", is_flag=True, help="Delete every voting row (features, votes, comments) first.")
def seed_voting_command(reset: bool) -> None:
    """Migrate the app database, then add the demo voting data (idempotent: matched by name/title)."""
    from app.adapters.appdb import make_app_engine, upgrade_schema
    from app.services.voting import seed_voting

    settings = settings_or_exit()
    if settings.is_production and reset:
        raise click.ClickException("--reset is refused in production.")
    engine = make_app_engine(settings)
    try:
        upgrade_schema(engine, settings.server.run_dir)
        added = seed_voting(engine, reset=reset)
    finally:
        engine.dispose()
    click.echo("voting demo data: " + ", ".join(f"{count} {what}" for what, count in added.items()) + " added")


def register(cli: click.Group) -> None:
    # `db` is shared with other areas (upgrade, seed): join the group if it exists, else create it. Keep this
    # module after the group's owner in app/cli/__init__.py so its add_command does not replace the group.
    db = cli.commands.get("db")
    if not isinstance(db, click.Group):
        db = click.Group("db", help="The app and MDM databases: migrations and demo data.")
        cli.add_command(db)
    db.add_command(seed_voting_command)
