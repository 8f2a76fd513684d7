"""Fixtures for the Magento sandbox tests.

The live-server fixtures (`sandbox_server`, `sandbox_url`, `control`, `http_transport`) are shared by
every test folder: tests/support/sandbox.py. Here: `rest`, `admin_token`/`api` (authenticated httpx
client on /rest/V1/)."""
from __future__ import annotations

import httpx
import pytest

from tests.support.sandbox import ADMIN, HTTP_TIMEOUT_S  # noqa: F401  (fixtures come from tests/conftest.py)


@pytest.fixture
def rest(sandbox_url: str, http_transport: httpx.HTTPTransport) -> httpx.Client:
    """Anonymous httpx client on /rest/ (no token)."""
    return httpx.Client(base_url=f"{sandbox_url}/rest/", timeout=HTTP_TIMEOUT_S, transport=http_transport)


@pytest.fixture
def admin_token(rest: httpx.Client) -> str:
    resp = rest.post("V1/integration/admin/token", json=ADMIN)
    resp.raise_for_status()
    return resp.json()


@pytest.fixture
def api(sandbox_url: str, admin_token: str, http_transport: httpx.HTTPTransport) -> httpx.Client:
    """httpx client on /rest/V1/ with the admin bearer token."""
    return httpx.Client(base_url=f"{sandbox_url}/rest/V1/", timeout=HTTP_TIMEOUT_S, transport=http_transport,
                        headers={"Authorization": f"Bearer {admin_token}"})
