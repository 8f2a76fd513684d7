"""TECHNO-ETL backend: the Flask application package.

`create_app` lives in app/factory.py. This file stays import-light on purpose: the Gunicorn master
imports `app.metric_files`, and everything it imports would be inherited by forked workers, so a HUP
could not reload the code.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config_name: str | None = None, overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app for APP_ENV (or `config_name`); see app.factory.create_app."""
    from app.factory import create_app as _create_app

    return _create_app(config_name, overrides)
