"""Fixtures for the Magento HTTP routes: an app pointed at the live sandbox, and sandbox call counters."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from flask import Flask

from tests.support.sandbox import ADMIN

SANDBOX_SETTINGS = {"MAGENTO_USERNAME": ADMIN["username"], "MAGENTO_PASSWORD": ADMIN["password"]}
# A short Magento budget so outage tests finish in seconds (the defaults allow 45 s per call).
FAST_FAIL = {"MAGENTO_RETRY_MAX_ATTEMPTS": 2, "MAGENTO_RETRY_MAX_TIME": 3.0, "MAGENTO_TIMEOUT_READ": 1.0,
             "MAGENTO_RETRY_BACKOFF_BASE": 0.05, "MAGENTO_RETRY_BACKOFF_MAX": 0.1}


@pytest.fixture
def magento_app(make_app, sandbox_url: str, tmp_path) -> Callable[..., Flask]:
    """Build an app whose Magento is the freshly reset sandbox; keyword arguments override settings.

    RUN_DIR is per test: the login failure budgets live in its host file, like the sandbox's lockouts
    they must not carry over from one test to the next."""
    def factory(**overrides: Any) -> Flask:
        return make_app(MAGENTO_URL=sandbox_url, RUN_DIR=str(tmp_path / "run"), **{**SANDBOX_SETTINGS, **overrides})
    return factory


@pytest.fixture
def mclient(magento_app):
    return magento_app().test_client()


@pytest.fixture
def sandbox_calls(control: httpx.Client) -> Callable[[str], int]:
    """How many requests the sandbox served for a route key such as 'GET /V1/products'."""
    def count(route: str) -> int:
        return int(control.get("stats").json()["routes"].get(route, 0))
    return count


@pytest.fixture
def fault(control: httpx.Client):
    """Install a sandbox fault (cleared by the next test's reset)."""
    def install(**config: Any) -> None:
        control.post("faults", json=config).raise_for_status()
    return install
