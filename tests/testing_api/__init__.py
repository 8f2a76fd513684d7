"""Test-only endpoints (/api/testing/*): registered on an app by the tests, never by the factory.

`register(app)` adds them to an app built by `create_app` (tests/conftest.py, tests/contract/fuzz.py);
`create_app()` here is the Gunicorn entry of the server tests (tests/support/servers.py).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from tests.testing_api.routes import blp


def register(app: Flask) -> Flask:
    """Register the test-only blueprint on `app` (in an app context: the document states its bounds)."""
    with app.app_context():
        app.extensions["api"].register_blueprint(blp)
    return app


def create_app(config_name: str | None = None, overrides: Mapping[str, Any] | None = None) -> Flask:
    """The application with the test-only endpoints (`gunicorn ... tests.testing_api:create_app()`)."""
    from app import create_app as create_service_app

    return register(create_service_app(config_name, overrides))


__all__ = ["blp", "create_app", "register"]
