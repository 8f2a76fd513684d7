"""Admin tokens and Magento's admin-login throttle (RequestThrottler: N failures -> locked for T s).

Usernames are matched the way Magento's MySQL collation (utf8_general_ci, PAD SPACE) matches them: case
and accents ignored, trailing spaces ignored, leading spaces significant. Every spelling of an account
(`Admin`, `ADMIN  `, `Ädmin`) counts towards that one account's lockout, as on a real shop.
"""
from __future__ import annotations

import secrets
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from . import errors
from .errors import MagentoError


def collation_key(username: str) -> str:
    """Close to utf8_general_ci: compatibility form, accents dropped, case folded, trailing spaces ignored."""
    decomposed = unicodedata.normalize("NFKD", username)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().rstrip(" ")


@dataclass
class _Failures:
    count: int = 0
    locked_until: float | None = None


@dataclass
class TokenStore:
    """Issued tokens (opaque, 32 chars like classic Magento) and per-account failure counters."""

    username: str
    password: str
    ttl_s: Callable[[], float]  # read at check time, so a run-time TTL change affects live tokens
    lockout_failures: int
    lockout_s: float
    clock: Callable[[], float] = time.monotonic
    other_admins: Mapping[str, str] = field(default_factory=dict)  # more admin accounts: username -> password
    _tokens: dict[str, float] = field(default_factory=dict)
    _failures: dict[str, _Failures] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Token requests seen and refused, per account key: how tests count what reached "Magento".
    _requests: Counter[str] = field(default_factory=Counter)
    _refused: Counter[str] = field(default_factory=Counter)

    def _password_of(self, key: str) -> str | None:
        accounts = {collation_key(self.username): self.password,
                    **{collation_key(name): pw for name, pw in self.other_admins.items()}}
        return accounts.get(key)

    def issue(self, username: str, password: str) -> str:
        """integrationAdminTokenServiceV1: the throttle is checked BEFORE the credentials."""
        key = collation_key(username)
        now = self.clock()
        with self._lock:
            self._requests[key] += 1
            state = self._failures.setdefault(key, _Failures())
            if state.locked_until is not None:
                if now < state.locked_until:
                    self._refused[key] += 1
                    raise MagentoError(401, errors.SIGN_IN_INCORRECT)
                state.count, state.locked_until = 0, None
            expected = self._password_of(key)
            if expected is None or password != expected:
                # Counted for any username, existing or not (RequestThrottler keys on the name).
                self._refused[key] += 1
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

    def snapshot(self) -> dict:
        """Per account key: token requests, refusals, current failure count and whether it is locked."""
        now = self.clock()
        with self._lock:
            return {key: {"requests": self._requests[key], "refused": self._refused[key],
                          "failures": state.count,
                          "locked": state.locked_until is not None and now < state.locked_until}
                    for key, state in self._failures.items()}

    def clear(self) -> None:
        """Forget every token, failure counter and request count."""
        with self._lock:
            self._tokens.clear()
            self._failures.clear()
            self._requests.clear()
            self._refused.clear()
