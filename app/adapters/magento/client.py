"""MagentoClient: the one place the project talks HTTP to Magento (policy here, transport injectable).

Every call goes through `_call`: one guard hook (where a circuit breaker or bulkhead wraps the call),
one wall-clock deadline, the admin token with one refresh on 401, retries with full-jitter backoff
and Retry-After, metrics, and the translation of failures into app.errors types (translate.py).
"""
from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import httpx

from app.adapters.magento import translate
from app.adapters.magento.metrics import ClientMetrics
from app.adapters.magento.paths import apply_prefix_rule, encode_query, endpoint_template, rest_path
from app.adapters.magento.resources import MagentoResources
from app.adapters.magento.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after, should_retry_method
from app.adapters.magento.token import AdminTokenProvider, MemoryTokenStore, TokenStore
from app.errors import UpstreamUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

NO_BODY: Any = object()  # "send no body", distinct from a JSON null
# Response headers the proxy may hand back to its caller (never Set-Cookie or anything auth-related).
PASSTHROUGH_HEADERS = ("Content-Type", "Cache-Control", "ETag", "Last-Modified", "Retry-After")
# The request never left this process: replaying is safe even for a POST that creates something.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"  # keep existing %XX escapes: typed helpers encode SKUs themselves


@dataclass(frozen=True)
class MagentoConfig:
    """Everything the client needs; built from settings by `config_from_settings` (extension.py)."""

    base_url: str
    store_code: str = "default"
    username: str = ""
    password: str = field(default="", repr=False)
    timeout_connect: float = 3.0
    timeout_read: float = 20.0
    timeout_write: float = 20.0
    timeout_pool: float = 3.0
    max_connections: int = 20
    max_keepalive: int = 10
    verify_tls: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Budget of a call made while serving a request (the client waits for us); None = retry.max_time.
    # Background calls (no request: sync jobs) keep retry.max_time. Computed in config/budgets.py.
    request_budget: float | None = None
    token_ttl: float = 3500.0
    # Seconds a worker reuses the shared admin token without re-reading the token store (a 401 re-reads it).
    token_memo: float = 0.0
    token_refused_cooldown: float = 300.0
    user_agent: str = "techno-etl-backend"


@dataclass(frozen=True)
class MagentoResponse:
    """A successful Magento answer: status, decoded JSON body, the pass-through headers, and the body's bytes
    as received (validated JSON: a proxy can hand them on without encoding the decoded body again)."""

    status: int
    body: Any
    headers: dict[str, str]
    raw: bytes = b""


@dataclass(frozen=True)
class CallInfo:
    """What a guard (breaker, bulkhead) learns about the call it wraps. No SKU: a template."""

    method: str
    endpoint: str
    upsert: bool
    authenticated: bool
    interactive: bool = False  # made while serving a request: someone is waiting for the answer
    deadline: float = float("inf")  # the call's end (the client's clock, monotonic): a guard waits less


def _in_request() -> bool:
    from flask import has_request_context  # the adapter runs inside the Flask app; imported on use

    return has_request_context()


class CallGuard(Protocol):
    """Wraps every logical call (a breaker, a bulkhead): runs `call` and answers what it answers."""

    def __call__(self, call: Callable[[], T], info: CallInfo, /) -> T: ...


def _no_guard(call: Callable[[], T], info: CallInfo) -> T:
    return call()


class MagentoClient(MagentoResources):
    """Synchronous Magento 2 REST client; one instance per app, one pooled httpx.Client per process.

    Raises (from every method): UpstreamHTTPError for a Magento 4xx/5xx that is final,
    UpstreamUnavailable when Magento cannot be reached, keeps failing after retries or refuses the
    configured credentials, UpstreamTimeout when no answer arrives in time.
    """

    def __init__(self, config: MagentoConfig, *, token_store: TokenStore | None = None,
                 transport: httpx.BaseTransport | None = None, guard: CallGuard | None = None,
                 metrics: ClientMetrics | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 rand: Callable[[], float] = random.random,
                 interactive: Callable[[], bool] = _in_request) -> None:
        self.config = config
        self._interactive = interactive
        self._base = httpx.URL(config.base_url)
        self._transport = transport
        self._guard: CallGuard = guard or _no_guard
        if metrics is None:
            from app.adapters.magento.metrics import PrometheusMetrics
            metrics = PrometheusMetrics()
        self._metrics = metrics
        self._sleep, self._clock, self._rand = sleep, clock, rand
        self._pid = os.getpid()
        self._http: httpx.Client | None = None
        self._http_lock = threading.Lock()
        self._local = threading.local()  # the deadline of the call running on this thread
        self.tokens = AdminTokenProvider(
            token_store or MemoryTokenStore(), self._fetch_integration_token, ttl=config.token_ttl,
            refused_cooldown=config.token_refused_cooldown, lock_timeout=config.retry.max_time,
            on_refresh=metrics.token_refresh, memo=config.token_memo, clock=clock)

    # -- lifecycle -------------------------------------------------------------------------------
    def set_guard(self, guard: CallGuard | None) -> None:
        """Install the wrapper every logical call runs in (e.g. `lambda call, info: breaker.call(call)`)."""
        self._guard = guard or _no_guard

    def close(self) -> None:
        if self._http is not None and self._pid == os.getpid():
            self._http.close()
        self._http = None

    def _client(self) -> httpx.Client:
        if self._pid != os.getpid():
            # Forked (gunicorn preload, a pool): the parent's sockets and locks are not ours to use or close.
            self._pid = os.getpid()
            self._http_lock = threading.Lock()
            self._http = None
            self.tokens.reset_after_fork()
        http = self._http
        if http is None:
            with self._http_lock:
                if self._http is None:
                    self._http = self._new_http()
                http = self._http
        return http

    def _new_http(self) -> httpx.Client:
        cfg = self.config
        return httpx.Client(
            transport=self._transport, verify=cfg.verify_tls, follow_redirects=False,
            limits=httpx.Limits(max_connections=cfg.max_connections,
                                max_keepalive_connections=cfg.max_keepalive),
            timeout=self._timeout(cfg.retry.max_time), headers={"User-Agent": cfg.user_agent})

    def _timeout(self, remaining: float) -> httpx.Timeout:
        """The configured timeouts, each cut to what is left of the call's budget."""
        cfg = self.config
        return httpx.Timeout(connect=min(cfg.timeout_connect, remaining), read=min(cfg.timeout_read, remaining),
                             write=min(cfg.timeout_write, remaining), pool=min(cfg.timeout_pool, remaining))

    # -- public entry points -----------------------------------------------------------------------
    def proxy(self, method: str, path: str, raw_query: bytes | str = b"", json_body: Any = NO_BODY, *,
              store: str | None = None) -> MagentoResponse:
        """Forward a frontend call: the original's V1/ prefix rule, the query string byte for byte.

        Only GET/PUT/DELETE are replayed after an ambiguous failure; the admin token is added here
        and never appears in what is returned. Errors raise like every other method.
        """
        response = self._call(method.upper(), apply_prefix_rule(path), query=raw_query, body=json_body,
                              store=store)
        headers = {name: response.headers[name] for name in PASSTHROUGH_HEADERS if name in response.headers}
        # The body is answered as the bytes received: decoding only validates it (fast path).
        return MagentoResponse(response.status_code, self._decode(response, fast=True), headers, response.content)

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | str | bytes | None = None,
                json_body: Any = NO_BODY, store: str | None = None, upsert: bool = False,
                authenticated: bool = True) -> Any:
        """Call a route (prefix rule applied) and return Magento's decoded JSON body.

        `params` is a nested mapping (encoded PHP-style, brackets literal) or a raw query string.
        `upsert=True` marks a POST Magento applies by key, so it may be replayed like a PUT.
        """
        response = self._call(method.upper(), apply_prefix_rule(path), query=params, body=json_body,
                              store=store, upsert=upsert, authenticated=authenticated)
        return self._decode(response)

    # -- the one call path -------------------------------------------------------------------------
    def _call(self, method: str, route: str, *, query: Mapping[str, Any] | str | bytes | None,
              body: Any, store: str | None, upsert: bool = False, authenticated: bool = True) -> httpx.Response:
        url = self._url(route, query, store)
        content = None if body is NO_BODY else json.dumps(body, ensure_ascii=False).encode("utf-8")
        outer = getattr(self._local, "deadline", None)
        if outer is not None:
            # Nested (the token fetch inside a call): same deadline, and the guard already counts it.
            return self._attempts(method, url, content, CallInfo(method, endpoint_template(route), upsert,
                                                                 authenticated, deadline=outer), outer)
        interactive = self._interactive()
        budget = self.config.retry.max_time
        if interactive and self.config.request_budget is not None:
            budget = min(budget, self.config.request_budget)
        # Set before the guard runs: a wait for a bulkhead slot is part of the budget.
        deadline = self._clock() + budget
        info = CallInfo(method, endpoint_template(route), upsert, authenticated, interactive, deadline)

        def run() -> httpx.Response:
            # Set on the thread that runs the call, in case a guard hands it to another thread.
            self._local.deadline = deadline
            try:
                return self._attempts(method, url, content, info, deadline)
            finally:
                self._local.deadline = None

        return self._guard(run, info)

    def _attempts(self, method: str, url: httpx.URL, content: bytes | None, info: CallInfo,
                  deadline: float) -> httpx.Response:
        policy = self.config.retry
        replayable = should_retry_method(method, info.upsert)
        token = self.tokens.current() if info.authenticated else None
        attempt, waited, refreshed = 0, 0.0, False
        while True:
            attempt += 1
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise translate.deadline_exceeded(attempt - 1)
            failure: httpx.TransportError | None = None
            response: httpx.Response | None = None
            retry_after: float | None = None
            try:
                response = self._send(method, url, content, token, remaining, info)
            except httpx.TransportError as exc:
                if not (replayable or isinstance(exc, _NOT_SENT)):
                    raise translate.transport_error(exc, attempt) from exc
                failure, reason = exc, type(exc).__name__
            else:
                status = response.status_code
                if status == 401 and token is not None and not refreshed:
                    # Expired or revoked: refresh once (single flight) and replay; a second 401 is final.
                    refreshed = True
                    token = self.tokens.refresh(stale=token)
                    attempt -= 1
                    continue
                if status < 400:
                    return response
                if status not in RETRYABLE_STATUSES or not replayable:
                    raise translate.http_error(response)
                reason, retry_after = str(status), parse_retry_after(response.headers.get("Retry-After"))
            wait = (policy.wait_before_retry(attempt, retry_after, waited, self._rand)
                    if attempt < policy.max_attempts else None)
            if wait is not None and self._clock() + wait >= deadline:
                wait = None  # the wait alone would overrun the call's budget: fail now, not later
            if wait is None:
                if response is None:
                    # No response: _send raised, so `failure` is set (mypy cannot link the two).
                    raise translate.transport_error(failure, attempt) from failure  # type: ignore[arg-type]
                raise translate.retries_exhausted(response, attempt, retry_after)
            log.warning("Magento %s %s failed (%s), retry %d in %.2f s", method, info.endpoint, reason,
                        attempt, wait, extra={"upstream": "magento", "endpoint": info.endpoint,
                                              "reason": reason, "attempt": attempt, "wait": round(wait, 3)})
            self._metrics.retry(method, info.endpoint, reason)
            self._sleep(wait)
            waited += wait

    def _send(self, method: str, url: httpx.URL, content: bytes | None, token: str | None,
              remaining: float, info: CallInfo) -> httpx.Response:
        headers = {"Accept": "application/json"}
        if content is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        http = self._client()
        request = http.build_request(method, url, content=content, headers=headers,
                                     timeout=self._timeout(remaining))
        started = time.perf_counter()
        try:
            response = http.send(request)
        except httpx.TransportError:
            self._metrics.request(method, info.endpoint, "error", time.perf_counter() - started)
            raise
        self._metrics.request(method, info.endpoint, str(response.status_code), time.perf_counter() - started)
        return response

    def _url(self, route: str, query: Mapping[str, Any] | str | bytes | None, store: str | None) -> httpx.URL:
        path = quote(rest_path(self._base.path, store or self.config.store_code, route), safe=_PATH_SAFE)
        raw = path.encode("ascii")
        if isinstance(query, Mapping):
            query = encode_query(query)
        if query:
            raw += b"?" + _request_line_safe(query.encode("utf-8") if isinstance(query, str) else query)
        return self._base.copy_with(raw_path=raw)

    @staticmethod
    def _decode(response: httpx.Response, *, fast: bool = False) -> Any:
        try:
            return translate.decode_body(response, fast=fast)
        except ValueError:
            raise translate.invalid_body(response) from None

    def _fetch_integration_token(self) -> str:
        cfg = self.config
        if not (cfg.username and cfg.password):
            raise UpstreamUnavailable("magento", "MAGENTO_USERNAME/MAGENTO_PASSWORD are not configured.")
        # Transient failures (5xx, dropped connection) are retried; a 401 is final (lockout guard).
        return self._token_call(cfg.username, cfg.password, upsert=True)

    def _token_call(self, username: str, password: str, *, upsert: bool) -> str:
        token = self.request("POST", "V1/integration/admin/token", upsert=upsert, authenticated=False,
                             json_body={"username": username, "password": password})
        if not isinstance(token, str) or not token:
            raise UpstreamUnavailable("magento", "Magento's admin token endpoint answered without a token.")
        return token


def _request_line_safe(query: bytes) -> bytes:
    """Byte-for-byte, except bytes no HTTP request line may carry (space, controls, non-ASCII): %XX."""
    if all(0x21 <= byte <= 0x7E and byte != 0x23 for byte in query):
        return query
    return b"".join(bytes([b]) if 0x21 <= b <= 0x7E and b != 0x23 else b"%%%02X" % b for b in query)
