"""The `manage.py` command group; each area adds its commands from its own module here."""
from __future__ import annotations

import click

from app.cli import data, images, ops, server, sync, voting


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """TECHNO-ETL backend operations."""


for module in (data, images, ops, server, voting, sync):  # data first: voting joins its `db` group
    module.register(cli)
