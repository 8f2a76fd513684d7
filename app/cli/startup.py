"""What a command starts from: the validated settings or the built app, else exit 1 naming each bad setting."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from flask import Flask


def settings_or_exit(env: str | None = None) -> Settings:
    """The settings for `env` (default APP_ENV); invalid ones print their problems and exit 1."""
    try:
        return load_settings(env)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)


def app_or_exit() -> Flask:
    """`create_app()`; invalid settings print their problems and exit 1."""
    from app import create_app

    try:
        return create_app()
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
