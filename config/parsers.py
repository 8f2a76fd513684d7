"""What a setting's text may be: the parsers of the settings table, and the OIDC settings' cross-checks.

Each parser takes the raw environment text and returns the typed value, or raises ValueError with a message
that `load_settings` puts after the variable's name.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from config.sections import AuthSettings


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true/false")


def _list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be >= 0")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if value < 0:
        raise ValueError("must be >= 0")
    return value


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.I)


def _bytes(raw: str) -> int:
    """Parse '1G', '512M', '15mb' or a plain byte count."""
    match = _SIZE.match(raw)
    if not match:
        raise ValueError("expected a size such as 15M or 1G")
    number, unit = match.groups()
    return int(float(number) * 1024 ** " kmgt".index(unit.lower() or " "))


def _choice(*options: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return raw
    return parse


_LATENCY = re.compile(r"^\s*\d+(?:\.\d+)?\s*(?:-\s*\d+(?:\.\d+)?\s*)?$")


def _latency(raw: str) -> str:
    """SANDBOX_LATENCY_MS: "200" (+-25 % jitter) or "150-400" (low <= high); kept as text for the sandbox."""
    if not _LATENCY.match(raw):
        raise ValueError("expected milliseconds as N or LOW-HIGH, e.g. 200 or 150-400")
    low, _, high = raw.partition("-")
    if high and float(low) > float(high):
        raise ValueError("LOW must not exceed HIGH")
    return raw.strip()


def _tokens(raw: str) -> list[tuple[str, str]]:
    """API_TOKENS="role:sha256hex,role:sha256hex" -> [(role, hash)]."""
    pairs = []
    for entry in _list(raw):
        role, _, digest = entry.partition(":")
        if role not in ("viewer", "operator", "admin"):
            raise ValueError(f"unknown role {role!r} (viewer, operator, admin)")
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError("each entry must be role:<64 hex chars sha256 of the token>")
        pairs.append((role, digest))
    return pairs


def _role_map(raw: str) -> dict[str, str]:
    """LOGIN_ROLES="alice:admin,bob:operator"."""
    out = {}
    for entry in _list(raw):
        user, _, role = entry.partition(":")
        if role not in ("viewer", "operator", "admin"):
            raise ValueError(f"unknown role {role!r} for {user!r}")
        out[user] = role
    return out


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str, allow_loopback_http: bool) -> str | None:
    """Why keys may not be fetched from `url` (https only; plain http on loopback when allowed), or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "is not a URL"
    if not host or parts.scheme not in ("https", "http"):
        return "must be an absolute https:// URL"
    if parts.scheme == "http" and not (allow_loopback_http and is_loopback(url)):
        return "must use https (plain http only for a loopback test issuer outside production)"
    if parts.fragment or parts.query or parts.username or parts.password:
        return "must not carry credentials, a query or a fragment"
    return None


_EMAIL = re.compile(r"^(?:\*|[^@\s:,*]+)@[^@\s:,*]+\.[^@\s:,*]+$")


def _oidc_roles(raw: str) -> dict[str, str]:
    """AUTH_OIDC_ROLES="alice@example.com:admin,*@example.com:viewer" (emails compared in lower case)."""
    out = {}
    for entry in _list(raw):
        email, _, role = entry.rpartition(":")
        email = email.strip().lower()
        if not _EMAIL.match(email):
            raise ValueError(f"{email or entry!r} is neither an email nor *@domain")
        if role.strip() not in ("viewer", "operator", "admin"):
            raise ValueError(f"unknown role {role!r} for {email!r} (viewer, operator, admin)")
        out[email] = role.strip()
    return out


def _ttls(raw: str) -> dict[str, int]:
    """CACHE_TTLS="magento:18000,mdm:60" (seconds)."""
    out = {}
    for entry in _list(raw):
        name, _, seconds = entry.partition(":")
        out[name] = int(seconds)
    return out


def oidc_problems(env: str, auth: AuthSettings) -> list[str]:
    """The OIDC settings must name a reachable https issuer, an audience and someone who gets a role."""
    if not auth.oidc_issuer:
        stray = [name for name, value in (("AUTH_OIDC_AUDIENCE", auth.oidc_audience),
                                          ("AUTH_OIDC_JWKS_URL", auth.oidc_jwks_url),
                                          ("AUTH_OIDC_ROLES", auth.oidc_roles),
                                          ("AUTH_OIDC_DEFAULT_ROLE", auth.oidc_default_role)) if value]
        return [f"{name}: set but AUTH_OIDC_ISSUER is empty (OIDC sign-in is off)" for name in stray]
    loopback_ok = env != "production"
    problems = []
    for name, url in (("AUTH_OIDC_ISSUER", auth.oidc_issuer), ("AUTH_OIDC_JWKS_URL", auth.oidc_jwks_url)):
        problem = url_problem(url, loopback_ok) if url else None
        if problem:
            problems.append(f"{name}: {problem} (got {url!r})")
    if not (auth.oidc_audience or "").strip():
        problems.append("AUTH_OIDC_AUDIENCE: required when AUTH_OIDC_ISSUER is set (the project or client id)")
    if not auth.oidc_roles and not auth.oidc_default_role:
        problems.append("AUTH_OIDC_ROLES/AUTH_OIDC_DEFAULT_ROLE: with neither set, no ID token gets a role")
    if auth.oidc_timeout <= 0:
        problems.append("AUTH_OIDC_TIMEOUT: must be above 0")
    return problems
