"""Fixtures for the Magento client's unit tests: a scriptable fake Magento behind httpx.MockTransport."""
from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest

from app.adapters.magento import MagentoClient, MagentoConfig, MemoryTokenStore, RetryPolicy

USERNAME, PASSWORD = "integration", "s3cret-pass"
ACL_BODY = {"message": "The consumer isn't authorized to access %resources.",
            "parameters": {"resources": "Magento_Catalog::products"}}
SIGNIN_BODY = {"message": "The account sign-in was incorrect or your account is disabled temporarily. "
                          "Please wait and try again later."}

Scripted = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class FakeMagento:
    """Answers like Magento: admin token endpoint, Bearer check, scripted answers per (method, path)."""

    TOKEN_PATH = "/rest/default/V1/integration/admin/token"
    USERNAME, PASSWORD, ACL_BODY = USERNAME, PASSWORD, ACL_BODY

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.valid_tokens: set[str] = set()
        self.issued = 0
        self.token_delay = 0.0
        self.scripts: dict[tuple[str, str], deque[Scripted]] = defaultdict(deque)
        self.lock = threading.Lock()

    # -- scripting ------------------------------------------------------------------------------
    def script(self, method: str, path: str, *answers: Scripted) -> None:
        self.scripts[(method, path)].extend(answers)

    def expire_tokens(self) -> None:
        self.valid_tokens.clear()

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]

    @property
    def token_calls(self) -> int:
        return len(self.calls("POST", self.TOKEN_PATH))

    # -- the transport handler -------------------------------------------------------------------
    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            queue = self.scripts.get((request.method, request.url.path))
            answer = queue.popleft() if queue else None
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        if isinstance(answer, httpx.Response):
            return answer
        if request.url.path.endswith("/V1/integration/admin/token"):
            return self._token(request)
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.valid_tokens:
            return httpx.Response(401, json=ACL_BODY)
        return httpx.Response(200, json={"path": request.url.path, "method": request.method})

    def _token(self, request: httpx.Request) -> httpx.Response:
        if self.token_delay:
            threading.Event().wait(self.token_delay)
        body = json.loads(request.content)
        if (body.get("username"), body.get("password")) != (USERNAME, PASSWORD):
            return httpx.Response(401, json=SIGNIN_BODY)
        with self.lock:
            self.issued += 1
            token = f"tok-{self.issued}-abcdefabcdef"
            self.valid_tokens.add(token)
        return httpx.Response(200, json=token)


class FakeTime:
    """Injectable clock and sleep: sleeping advances the clock and is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class RecordingMetrics:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str]] = []
        self.retries: list[tuple[str, str, str]] = []
        self.refreshes: list[str] = []

    def request(self, method: str, endpoint: str, status: str, seconds: float) -> None:
        self.requests.append((method, endpoint, status))

    def retry(self, method: str, endpoint: str, reason: str) -> None:
        self.retries.append((method, endpoint, reason))

    def token_refresh(self, outcome: str) -> None:
        self.refreshes.append(outcome)


BASE_CONFIG = MagentoConfig(base_url="http://shop.test", store_code="default", username=USERNAME,
                            password=PASSWORD, retry=RetryPolicy(max_attempts=4, max_time=30.0, max_wait=20.0,
                                                                 backoff_base=0.5, backoff_max=8.0))


@pytest.fixture
def fake() -> FakeMagento:
    return FakeMagento()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def metrics() -> RecordingMetrics:
    return RecordingMetrics()


@pytest.fixture
def make_client(fake: FakeMagento, fake_time: FakeTime, metrics: RecordingMetrics) -> Callable[..., MagentoClient]:
    """Build a client on the fake; keyword arguments override MagentoConfig fields (retry=RetryPolicy)."""
    made: list[MagentoClient] = []

    def build(*, transport: httpx.BaseTransport | None = None, token_store: Any = None,
              real_time: bool = False, rand: Callable[[], float] = lambda: 1.0, **config: Any) -> MagentoClient:
        timing = {} if real_time else {"clock": fake_time.clock, "sleep": fake_time.sleep}
        client = MagentoClient(replace(BASE_CONFIG, **config), transport=transport or httpx.MockTransport(fake),
                               token_store=token_store or MemoryTokenStore(), metrics=metrics, rand=rand,
                               **timing)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., MagentoClient]) -> MagentoClient:
    return make_client()
