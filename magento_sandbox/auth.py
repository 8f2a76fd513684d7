"""Admin tokens and Magento's admin-login throttle (RequestThrottler: N failures -> locked for T s)."""
from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import errors
from .errors import MagentoError


@dataclass
class _Failures:
    count: int = 0
    locked_until: float | None = None


@dataclass
class TokenStore:
    """Issued tokens (opaque, 32 chars like classic Magento) and per-username failure counters."""

    username: str
    password: str
    ttl_s: Callable[[], float]  # read at check time, so a run-time TTL change affects live tokens
    lockout_failures: int
    lockout_s: float
    clock: Callable[[], float] = time.monotonic
    _tokens: dict[str, float] = field(default_factory=dict)
    _failures: dict[str, _Failures] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, username: str, password: str) -> str:
        """integrationAdminTokenServiceV1: the throttle is checked BEFORE the credentials."""
        key = username.casefold()
        now = self.clock()
        with self._lock:
            state = self._failures.setdefault(key, _Failures())
            if state.locked_until is not None:
                if now < state.locked_until:
                    raise MagentoError(401, errors.SIGN_IN_INCORRECT)
                state.count, state.locked_until = 0, None
            if username != self.username or password != self.password:
                # Counted for any username, existing or not (RequestThrottler keys on the name).
                state.count += 1
                if state.count >= self.lockout_failures:
                    state.locked_until = now + self.lockout_s
                raise MagentoError(401, errors.SIGN_IN_INCORRECT)
            state.count = 0
            token = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32))
            self._tokens[token] = now
            return token

    def is_valid(self, token: str | None) -> bool:
        """True for a live token; expired tokens are forgotten."""
        if not token:
            return False
        with self._lock:
            issued = self._tokens.get(token)
            if issued is None:
                return False
            if self.clock() - issued >= self.ttl_s():
                del self._tokens[token]
                return False
            return True

    def clear(self) -> None:
        """Forget every token and every failure counter."""
        with self._lock:
            self._tokens.clear()
            self._failures.clear()
