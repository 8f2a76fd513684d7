"""Fixtures for the Magento sandbox tests. Self-contained so it can move to tests/conftest.py as is.

`sandbox_server` (session) starts the sandbox on a free loopback port and returns its base URL;
`sandbox_url` resets the shop, faults and stats before each test; `admin_token`/`api` give an
authenticated httpx client on /rest/V1/."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from magento_sandbox import SandboxOptions, start_sandbox_thread

ADMIN = {"username": "admin", "password": "sandbox123"}
HTTP_TIMEOUT_S = 5.0


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[str]:
    """Base URL (http://127.0.0.1:<port>) of a live sandbox; the consumer only runs on demand."""
    options = SandboxOptions(products=120, seed=7, consumer_delay_s=None, admin_username=ADMIN["username"],
                             admin_password=ADMIN["password"])
    server = start_sandbox_thread("127.0.0.1", 0, options=options)
    try:
        yield server.url
    finally:
        httpx.delete(f"{server.url}/__sandbox/faults", timeout=HTTP_TIMEOUT_S)  # wake any hanging request
        server.stop()


@pytest.fixture
def sandbox_url(sandbox_server: str) -> str:
    """The live sandbox, freshly reset (data, tokens, lockouts, faults, stats)."""
    httpx.post(f"{sandbox_server}/__sandbox/reset", timeout=HTTP_TIMEOUT_S).raise_for_status()
    return sandbox_server


@pytest.fixture
def admin_token(sandbox_url: str) -> str:
    resp = httpx.post(f"{sandbox_url}/rest/V1/integration/admin/token", json=ADMIN, timeout=HTTP_TIMEOUT_S)
    resp.raise_for_status()
    return resp.json()


@pytest.fixture
def api(sandbox_url: str, admin_token: str) -> Iterator[httpx.Client]:
    """httpx client on /rest/V1/ with the admin bearer token."""
    with httpx.Client(base_url=f"{sandbox_url}/rest/V1/", timeout=HTTP_TIMEOUT_S,
                      headers={"Authorization": f"Bearer {admin_token}"}) as client:
        yield client


@pytest.fixture
def control(sandbox_url: str) -> Iterator[httpx.Client]:
    """httpx client on /__sandbox/ (faults, consumers, state, stats)."""
    with httpx.Client(base_url=f"{sandbox_url}/__sandbox/", timeout=HTTP_TIMEOUT_S) as client:
        yield client
