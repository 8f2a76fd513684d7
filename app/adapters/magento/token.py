"""The integration user's Magento admin token: shared through a store, refreshed single-flight, never in a loop."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from app.adapters.cache import get_cache
from app.errors import UpstreamHTTPError, UpstreamTimeout, UpstreamUnavailable

log = logging.getLogger(__name__)

TOKEN_KEY = "admin_token"
# Set for a while after Magento refused the configured credentials, in the shared store, so that
# workers and hosts do not each try again: Magento locks the user after 6 failures (for 1800 s).
AUTH_FAILED_KEY = "admin_token_refused"
CACHE_NAMESPACE = "magento"


class TokenStore(Protocol):
    """Key-value store shared by every worker that talks to the same shop (the cache service in the app)."""

    def get(self, key: str) -> Any: ...
    def set(self, key: str, value: Any, ttl: float) -> None: ...
    def delete(self, key: str) -> None: ...


class MemoryTokenStore:
    """Process-local store with TTLs, for tests and scripts that run without the Flask app."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._items: dict[str, tuple[Any, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            value, expires = self._items.get(key, (None, 0.0))
            if value is not None and expires <= self._clock():
                del self._items[key]
                return None
            return value

    def set(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            self._items[key] = (value, self._clock() + ttl)

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)


class CacheTokenStore:
    """TokenStore over the project's cache service (namespace `magento`): Redis when configured, so one
    token serves every worker on every host. The cache is looked up per call: it lives in the app."""

    def __init__(self, get_cache: Callable[[], Any] | None = None) -> None:
        self._get_cache = get_cache or _default_cache

    def get(self, key: str) -> Any:
        return self._get_cache().get(CACHE_NAMESPACE, key)

    def set(self, key: str, value: Any, ttl: float) -> None:
        self._get_cache().set(CACHE_NAMESPACE, key, value, ttl=max(1, int(ttl)))  # the cache takes whole seconds

    def delete(self, key: str) -> None:
        self._get_cache().delete(CACHE_NAMESPACE, key)


def _default_cache() -> Any:
    return get_cache()  # per app, looked up per call


class AdminTokenProvider:
    """Hands out the shared admin token and refreshes it at most once per expiry.

    `fetch` performs `POST V1/integration/admin/token` and raises UpstreamHTTPError on a Magento error.
    A 401 from it is final: it is recorded in the store for `refused_cooldown` seconds and turned into
    UpstreamUnavailable, and no caller in any worker retries until the record expires.
    """

    def __init__(self, store: TokenStore, fetch: Callable[[], str], *, ttl: float,
                 refused_cooldown: float, lock_timeout: float,
                 on_refresh: Callable[[str], None] | None = None, memo: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._fetch = fetch
        self._ttl = ttl
        self._refused_cooldown = refused_cooldown
        self._lock_timeout = lock_timeout
        self._on_refresh = on_refresh or (lambda outcome: None)
        self._lock = threading.Lock()
        # (token, read at): the store is re-read after `memo` seconds, or at once after a 401 (refresh).
        # Saves a Redis round trip per Magento call (profiled: ~0.5 ms of the proxy's overhead).
        self._memo_seconds, self._clock = memo, clock
        self._memo: tuple[str, float] | None = None

    def reset_after_fork(self) -> None:
        """A lock copied by fork() may be held by a thread that does not exist in the child."""
        self._lock = threading.Lock()

    def current(self) -> str:
        """The shared token, fetched when no worker has one yet."""
        memo = self._memo
        if memo is not None and self._clock() - memo[1] < self._memo_seconds:
            return memo[0]
        token = self._store.get(TOKEN_KEY)
        if isinstance(token, str) and token:
            self._remember(token)
            return token
        return self.refresh(stale=None)

    def _remember(self, token: str | None) -> None:
        self._memo = (token, self._clock()) if token and self._memo_seconds > 0 else None

    def invalidate(self, stale: str) -> None:
        """Forget `stale` (Magento answered 401 to it) unless another worker already replaced it."""
        self._remember(None)
        if self._store.get(TOKEN_KEY) == stale:
            self._store.delete(TOKEN_KEY)

    def refresh(self, stale: str | None) -> str:
        """Return a token other than `stale`, fetching one only if no thread or worker already did."""
        self._remember(None)
        if not self._lock.acquire(timeout=self._lock_timeout):
            raise UpstreamTimeout("magento", "Timed out waiting for the Magento admin token.")
        try:
            cached = self._store.get(TOKEN_KEY)
            if isinstance(cached, str) and cached and cached != stale:
                self._remember(cached)
                return cached  # single flight: someone refreshed while we waited for the lock
            if cached is not None:
                self._store.delete(TOKEN_KEY)
            if self._store.get(AUTH_FAILED_KEY):
                raise self._refused()
            try:
                token = self._fetch()
            except UpstreamHTTPError as exc:
                if exc.status == 401:
                    self._store.set(AUTH_FAILED_KEY, True, self._refused_cooldown)
                    self._on_refresh("refused")
                    log.error("Magento refused the configured integration credentials; not retrying "
                              "for %.0f s to avoid Magento's lockout", self._refused_cooldown)
                    raise self._refused() from exc
                self._on_refresh("error")
                raise
            except Exception:
                self._on_refresh("error")
                raise
            self._store.set(TOKEN_KEY, token, self._ttl)
            self._remember(token)
            self._on_refresh("ok")
            log.info("Magento admin token refreshed")
            return token
        finally:
            self._lock.release()

    def _refused(self) -> UpstreamUnavailable:
        # A 503, not a 401: the caller is authenticated with us; our own Magento configuration is wrong.
        return UpstreamUnavailable(
            "magento",
            "Magento refused the configured integration credentials (MAGENTO_USERNAME/MAGENTO_PASSWORD).",
            retry_after=self._refused_cooldown,
        )
