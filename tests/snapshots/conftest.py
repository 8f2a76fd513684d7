"""Snapshot suite fixtures: apps on the live sandbox with a fresh app database each, and a build helper."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.magento_api.conftest import SANDBOX_SETTINGS, fault, sandbox_calls  # noqa: F401  (fixtures)
from tests.support.snapshots import build_snapshots as build  # noqa: F401  (the suite's helper)


@pytest.fixture
def snap_app(make_app, sandbox_url: str, tmp_path: Path) -> Callable[..., Flask]:
    """Apps on the freshly reset sandbox sharing one app database of this test (a restart = a new app)."""
    from app.services import jobs

    built: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        settings = {"MAGENTO_URL": sandbox_url, "APP_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
                    "MAGENTO_ANALYTICS_PAGE_SIZE": 50, **SANDBOX_SETTINGS}
        app = make_app(**{**settings, **overrides})
        built.append(app)
        return app
    yield factory
    for app in built:  # no job thread may outlive its test
        jobs.get_jobs(app).runner().stop(timeout=10)


@pytest.fixture
def sandbox_total(control) -> Callable[[], int]:
    """Every request the sandbox served so far (all routes)."""
    return lambda: sum(int(v) for v in control.get("stats").json()["routes"].values())
