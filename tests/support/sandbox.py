"""Live Magento sandbox fixtures shared by every test folder (loaded from tests/conftest.py).

`sandbox_server` (session) starts the sandbox on a free loopback port and returns its base URL;
`sandbox_url` resets the shop, faults and stats before each test; `control` drives /__sandbox/."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from magento_sandbox import SandboxOptions, start_sandbox_thread

ADMIN = {"username": "admin", "password": "sandbox123"}
# A second admin account: a person who logs in while ADMIN is the backend's integration user.
PERSON = {"username": "alice", "password": "alice-pw-2024"}
HTTP_TIMEOUT_S = 5.0


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[str]:
    """Base URL (http://127.0.0.1:<port>) of a live sandbox; the consumer only runs on demand."""
    options = SandboxOptions(products=120, seed=7, consumer_delay_s=None, admin_username=ADMIN["username"],
                             admin_password=ADMIN["password"],
                             other_admins={PERSON["username"]: PERSON["password"]})
    server = start_sandbox_thread("127.0.0.1", 0, options=options)
    try:
        yield server.url
    finally:
        httpx.delete(f"{server.url}/__sandbox/faults", timeout=HTTP_TIMEOUT_S)  # wake any hanging request
        server.stop()


@pytest.fixture(scope="session")
def http_transport() -> Iterator[httpx.HTTPTransport]:
    """One transport for the session: building an httpx client's SSL context costs ~50 ms each time."""
    transport = httpx.HTTPTransport()
    yield transport
    transport.close()


@pytest.fixture
def control(sandbox_server: str, http_transport: httpx.HTTPTransport) -> httpx.Client:
    """httpx client on /__sandbox/ (faults, consumers, state, stats)."""
    return httpx.Client(base_url=f"{sandbox_server}/__sandbox/", timeout=HTTP_TIMEOUT_S, transport=http_transport)


@pytest.fixture
def sandbox_url(sandbox_server: str, control: httpx.Client) -> str:
    """The live sandbox, freshly reset (data, tokens, lockouts, faults, stats)."""
    control.post("reset").raise_for_status()
    return sandbox_server
