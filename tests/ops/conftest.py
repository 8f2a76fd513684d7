"""Fixtures of the ops tests: the external tools (chromium, promtool, prometheus) and a traffic source.

A missing tool fails the test under CI=true (.ci/run installs them) and skips it elsewhere.
"""
from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import IN_CI
from tests.support.servers import TOKENS


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian package {package})"
        if IN_CI:
            pytest.fail(message + " (CI=true: .ci/run must install it)")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def chromium() -> str:
    return require_tool("chromium", "chromium")


@pytest.fixture(scope="session")
def promtool() -> str:
    return require_tool("promtool", "prometheus")


@pytest.fixture(scope="session")
def prometheus_bin() -> str:
    return require_tool("prometheus", "prometheus")


class Traffic:
    """A background client sending a steady mix (OK, cached grid reads, a 404) until stopped."""

    def __init__(self, base_url: str, paths: list[str]) -> None:
        self.base_url, self.paths = base_url, paths
        self.stop_event = threading.Event()
        self.sent = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {TOKENS['viewer']}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=5) as client:
            while not self.stop_event.is_set():
                for path in self.paths:
                    client.get(path)
                    self.sent += 1
                self.stop_event.wait(0.05)

    def __enter__(self) -> Traffic:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.thread.join(timeout=10)


@pytest.fixture
def traffic() -> Iterator[type[Traffic]]:
    yield Traffic


@pytest.fixture
def seeded_mdm(tmp_path) -> str:
    """A small demo MDM database (sqlite) so the grids answer with rows (and the cache has something to hit)."""
    from app.adapters.mdm.tables import mdm_engine
    from app.adapters.sql import create_engine_for
    from app.services.mdm.seed import seed_demo_data

    url = f"sqlite:///{tmp_path / 'mdm.sqlite3'}"
    engine = create_engine_for(url, name="mdm", connect_timeout=2, statement_timeout=30)
    seed_demo_data(mdm_engine(engine), products=60, sources=12)
    engine.dispose()
    return url
