"""Login: check a person's Magento admin credentials, then issue the backend's own signed access token.

Magento locks an admin account after 6 failed sign-ins (for 1800 s), and the integration user the
backend itself runs on is an admin account too. So wrong passwords are kept away from Magento:
- usernames are normalised (strip, NFKC, casefold) before any comparison, counter key or role lookup;
- the integration user (every spelling Magento would take for it) is checked here, in constant time,
  and never sent to Magento from the login routes;
- every attempt first reserves a slot of the username's failure budget (login_budget.py, atomic and
  host-wide or Redis-wide); past LOGIN_MAX_FAILURES in LOGIN_FAILURE_WINDOW the answer is 429 with
  Retry-After and Magento is not asked;
- every answer takes at least LOGIN_MIN_SECONDS, so its timing does not tell which path it took.
Magento's admin token is used only as a yes/no answer and is never cached or returned.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.adapters.magento import MagentoConfig, get_magento_client
from app.errors import DependencyUnavailable, RateLimited, Unauthorized, UpstreamHTTPError, UpstreamUnavailable
from app.security import Role, issue_access_token
from app.services.magento.login_budget import account_key, budget_id, get_login_budget, normalise_username
from app.telemetry import counter
from config.current import get_settings
from config.sections import AuthSettings

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

LOGIN_ATTEMPTS = counter("login_attempts_total", "Login attempts by outcome.", ("outcome",))
BAD_CREDENTIALS = "The username or password is incorrect."


@dataclass(frozen=True)
class LoginResult:
    """A successful login: our access token and what it grants."""

    token: str
    username: str
    role: Role
    expires_in: int


def _digest(value: str) -> bytes:
    # Equal-length digests: compare_digest then takes the same time whatever the lengths of the inputs.
    return hashlib.sha256(value.encode("utf-8")).digest()


def _integration_match(username: str, password: str, config: MagentoConfig) -> tuple[bool, bool]:
    """(is the integration user, password matches), both compared in constant time, always both."""
    if not config.username:
        return False, False
    user_ok = hmac.compare_digest(_digest(account_key(username)), _digest(account_key(config.username)))
    password_ok = hmac.compare_digest(_digest(password), _digest(config.password or ""))
    return user_ok, password_ok


def _check_credentials(username: str, password: str) -> None:
    """Raise Unauthorized unless the configuration (integration user) or Magento (anyone else) accepts them."""
    client = get_magento_client()
    is_integration, password_ok = _integration_match(username, password, client.config)
    if is_integration:
        # A typo here must never count towards locking the account every sync uses: decided locally.
        if not password_ok:
            raise Unauthorized(BAD_CREDENTIALS)
        return
    try:
        client.admin_token(username.strip(), password)  # the token itself is dropped: a yes/no answer only
    except UpstreamHTTPError as exc:
        if exc.status in (400, 401):
            raise Unauthorized(BAD_CREDENTIALS) from None
        raise


def _role_of(identity: str, auth: AuthSettings) -> Role:
    roles = {normalise_username(name): role for name, role in auth.login_roles.items()}
    return Role(roles.get(identity, auth.login_default_role))


def _attempt(username: str, password: str, auth: AuthSettings, secret_key: str) -> LoginResult:
    identity = normalise_username(username)
    if not identity:
        raise Unauthorized(BAD_CREDENTIALS)
    budget, key = get_login_budget(), budget_id(username)
    reservation = budget.reserve(key, auth.login_max_failures, auth.login_failure_window)
    if not reservation.allowed:
        LOGIN_ATTEMPTS.labels("blocked").inc()
        raise RateLimited("Too many failed sign-ins for this user; try again later.",
                          headers={"Retry-After": str(reservation.retry_after)})
    try:
        _check_credentials(username, password)
    except Unauthorized:
        LOGIN_ATTEMPTS.labels("refused").inc()  # the reserved slot stays taken
        log.info("login refused", extra={"failures": reservation.count})
        raise
    except (UpstreamUnavailable, UpstreamHTTPError) as exc:
        if isinstance(exc, UpstreamUnavailable) or exc.status >= 500:
            # Not reached, or down (5xx): Magento records a failure only when it rejects the credentials,
            # so neither do we. A timeout keeps its slot: Magento may have judged that attempt.
            budget.give_back(key)
        raise
    if reservation.count > 1:
        budget.clear(key)
    else:
        budget.give_back(key)  # no earlier failures: return this attempt's slot (cheaper than a delete)
    LOGIN_ATTEMPTS.labels("ok").inc()
    role = _role_of(identity, auth)
    token = issue_access_token(identity, role, secret_key)
    return LoginResult(token=token, username=identity, role=role, expires_in=int(auth.access_token_ttl))


def login(username: str, password: str) -> LoginResult:
    """Check `{username, password}` and return our signed token with the configured role.

    Raises Unauthorized (401) for wrong credentials, RateLimited (429, Retry-After) once the username has
    used its failure budget, UpstreamUnavailable / UpstreamTimeout (503/504) when Magento cannot answer,
    and DependencyUnavailable (503) when no SECRET_KEY is configured to sign tokens.
    """
    settings = get_settings()
    secret_key = settings.auth.secret_key
    if not secret_key:
        raise DependencyUnavailable("secret_key", "Logins are disabled: SECRET_KEY is not set.")
    started = time.monotonic()
    try:
        return _attempt(username, password, settings.auth, secret_key)
    finally:
        # Same floor for every outcome: a refusal decided here (integration user, exhausted budget) is
        # not faster than one Magento decided.
        remaining = settings.auth.login_min_seconds - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
