"""Login: check a person's Magento admin credentials, then issue the backend's own signed access token.

Magento locks an admin user after 6 failed sign-ins (for 1800 s), and the integration user the
backend itself runs on is an admin user too. So wrong passwords are kept away from Magento:
- the integration user's password is compared here, never sent to Magento from the login route;
- after LOGIN_MAX_FAILURES failures for a username (within LOGIN_FAILURE_WINDOW), the backend refuses
  further attempts itself, before Magento's own counter can reach its lockout.
Magento's admin token is used only as a yes/no answer and is never cached or returned.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from flask import current_app

from app.adapters.magento import get_magento_client
from app.errors import DependencyUnavailable, RateLimited, Unauthorized, UpstreamHTTPError
from app.security import Role, issue_access_token
from app.services.cache import get_cache
from app.telemetry import counter

log = logging.getLogger(__name__)

FAILURES_NAMESPACE = "login_failures"
LOGIN_ATTEMPTS = counter("login_attempts_total", "Login attempts by outcome.", ("outcome",))
BAD_CREDENTIALS = "The username or password is incorrect."


@dataclass(frozen=True)
class LoginResult:
    """A successful login: our access token and what it grants."""

    token: str
    username: str
    role: Role
    expires_in: int


def _failure_key(username: str) -> str:
    # Hashed: usernames are personal data and may hold any characters.
    return hashlib.sha256(username.strip().casefold().encode("utf-8")).hexdigest()


def _check_credentials(username: str, password: str) -> None:
    """Raise Unauthorized unless Magento (or, for the integration user, the configuration) accepts them."""
    client = get_magento_client()
    config = client.config
    if config.username and hmac.compare_digest(username.encode(), config.username.encode()):
        # The integration user: a typo must never count towards locking the account every sync uses.
        if not hmac.compare_digest(password.encode(), config.password.encode()):
            raise Unauthorized(BAD_CREDENTIALS)
        return
    try:
        client.admin_token(username, password)  # the token itself is dropped: a yes/no answer only
    except UpstreamHTTPError as exc:
        if exc.status in (400, 401):
            raise Unauthorized(BAD_CREDENTIALS) from None
        raise


def login(username: str, password: str) -> LoginResult:
    """Check `{username, password}` and return our signed token with the configured role.

    Raises Unauthorized (401) for wrong credentials, RateLimited (429) once the username has failed
    too often, UpstreamUnavailable / UpstreamTimeout (503/504) when Magento cannot answer, and
    DependencyUnavailable (503) when no SECRET_KEY is configured to sign tokens.
    """
    settings = current_app.config["SETTINGS"]
    if not settings.secret_key:
        raise DependencyUnavailable("secret_key", "Logins are disabled: SECRET_KEY is not set.")
    cache = get_cache()
    key = _failure_key(username)
    failures = int(cache.get(FAILURES_NAMESPACE, key) or 0)
    if failures >= settings.login_max_failures:
        LOGIN_ATTEMPTS.labels("blocked").inc()
        raise RateLimited("Too many failed sign-ins for this user; try again later.",
                          headers={"Retry-After": str(settings.login_failure_window)})
    try:
        _check_credentials(username, password)
    except Unauthorized:
        # Not atomic across workers; the per-client rate limit bounds the overshoot well below Magento's 6.
        cache.set(FAILURES_NAMESPACE, key, failures + 1, ttl=settings.login_failure_window)
        LOGIN_ATTEMPTS.labels("refused").inc()
        log.info("login refused", extra={"failures": failures + 1})
        raise
    if failures:
        cache.delete(FAILURES_NAMESPACE, key)
    role = Role(settings.login_roles.get(username, settings.login_default_role))
    LOGIN_ATTEMPTS.labels("ok").inc()
    token = issue_access_token(username, role, settings.secret_key)
    return LoginResult(token=token, username=username, role=role, expires_in=int(settings.access_token_ttl))
