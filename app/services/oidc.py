"""OIDC ID tokens (Firebase, Keycloak, Entra ID...) as bearer credentials: the verification policy and
the email -> role mapping. Signatures and claims are checked by PyJWT; keys come from app/adapters/oidc_keys.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
from jwt.exceptions import ExpiredSignatureError, ImmatureSignatureError, InvalidTokenError

from app.adapters.oidc_keys import KeyCache, KeyFetcher, KeySourceConfig, NoSigningKeys
from config.settings import Settings

if TYPE_CHECKING:
    from config import Settings

log = logging.getLogger(__name__)

ALGORITHMS = ("RS256", "ES256")  # asymmetric only: `none` and HS* (a public key used as a secret) refused
MAX_TOKEN_CHARS = 8192  # real ID tokens are 1-2 KiB
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
LEEWAY = 60.0  # clock skew (s) tolerated on exp, iat and nbf
JWKS_TTL = 3600.0  # seconds the issuer's keys are used before being fetched again (an unknown kid refetches sooner)
CACHE_SIZE = 1024  # verified ID tokens remembered per worker until their exp (skips the signature check)


class TokenRejected(Exception):
    """An ID token that must not be accepted; `reason` is a short code safe to show the caller."""

    def __init__(self, reason: str, detail: str, identity: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.identity = identity  # set only once the signature has been verified


class KeysUnavailable(Exception):
    """No signing key is held and the issuer's key server cannot be reached: answer 503."""


@dataclass(frozen=True)
class OidcIdentity:
    subject: str  # the verified email (lower case) when present, else "oidc:<sub>"
    role: str


@dataclass(frozen=True)
class RoleMap:
    """AUTH_OIDC_ROLES and AUTH_OIDC_DEFAULT_ROLE: exact emails first, then `*@domain`, then the default."""

    emails: Mapping[str, str]
    default: str = ""

    def role_for(self, email: str | None) -> str | None:
        if email:
            email = email.strip().lower()
            role = self.emails.get(email)
            if role is None and "@" in email:
                role = self.emails.get("*@" + email.rpartition("@")[2])
            if role:
                return role
        return self.default or None


def jwt_header(token: str) -> dict[str, Any] | None:
    """The JOSE header when `token` is shaped like a signed JWT (three segments, header with `alg`), else None.

    Cheap enough to run on every bearer token: the backend's own login tokens also have three
    dot-separated segments, but their first one is a payload without `alg`.
    """
    if token.count(".") != 2 or len(token) > MAX_TOKEN_CHARS:
        return None
    head = token.partition(".")[0]
    if not head.startswith("eyJ"):  # base64url of '{"' : every JSON object header starts so
        return None
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (binascii.Error, ValueError):
        return None
    return header if isinstance(header, dict) and "alg" in header else None


class VerifiedTokens:
    """A small LRU of tokens that passed every check, keyed by their SHA-256, each kept until its `exp`.

    A browser sends the same ID token for up to an hour, so most requests skip the signature check
    (bench/bench_auth.py). Emptied when the issuer's key set changes, so a withdrawn key stops working.
    """

    def __init__(self, max_items: int, clock: Any = time.time) -> None:
        self.max_items = max_items
        self._clock = clock
        self._items: OrderedDict[str, tuple[OidcIdentity, float]] = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, digest: str, generation: int) -> OidcIdentity | None:
        with self._lock:
            if generation != self._generation:
                self._items.clear()
                self._generation = generation
                return None
            entry = self._items.get(digest)
            if entry is None:
                return None
            if self._clock() >= entry[1]:
                del self._items[digest]
                return None
            self._items.move_to_end(digest)
            return entry[0]

    def put(self, digest: str, identity: OidcIdentity, expires: float, generation: int) -> None:
        if not self.max_items:
            return
        with self._lock:
            if generation != self._generation:
                self._items.clear()
                self._generation = generation
            self._items[digest] = (identity, expires)
            self._items.move_to_end(digest)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)


class OidcVerifier:
    """Checks an ID token against the configured issuer and audience and maps it to a role."""

    def __init__(self, issuer: str, audience: str, keys: KeyCache, roles: RoleMap, leeway: float,
                 cache_size: int = 1024) -> None:
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.roles = roles
        self.leeway = leeway
        self.verified = VerifiedTokens(cache_size)

    def verify(self, token: str, header: Mapping[str, Any], digest: str | None = None) -> OidcIdentity:
        """The identity and role of a valid ID token (`digest`: its SHA-256 hex, when already computed).

        Raises TokenRejected (reason: token_invalid, token_expired, token_not_yet_valid, email_unverified,
        no_role) or KeysUnavailable.
        """
        digest = digest or hashlib.sha256(token.encode("utf-8")).hexdigest()
        cached = self.verified.get(digest, self.keys.fresh_generation())  # a withdrawn key empties the cache
        if cached is not None:
            return cached
        identity, expires = self._verify(token, header)
        self.verified.put(digest, identity, expires, self.keys.generation)  # the set that just verified it
        return identity

    def _verify(self, token: str, header: Mapping[str, Any]) -> tuple[OidcIdentity, float]:
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS:
            raise TokenRejected("token_invalid", f"algorithm {str(alg)[:16]!r} refused")
        if not isinstance(kid, str) or not kid or len(kid) > 256:
            raise TokenRejected("token_invalid", "no key id")
        try:
            key = self.keys.key_for(kid)
        except NoSigningKeys as exc:
            raise KeysUnavailable(str(exc)) from exc
        if key is None:
            raise TokenRejected("token_invalid", "unknown key id")
        if key.algorithm_name != alg:  # the key decides its algorithm, never the token alone
            raise TokenRejected("token_invalid", "algorithm does not match the key")
        claims = self._decode(token, key.key, alg)
        email = claims.get("email")
        email = email.strip().lower() if isinstance(email, str) and email.strip() else None
        subject = email or f"oidc:{claims['sub']}"
        if email and claims.get("email_verified") not in (True, "true"):
            raise TokenRejected("email_unverified", "email not verified", subject)
        role = self.roles.role_for(email)
        if role is None:
            raise TokenRejected("no_role", "no role for this identity", subject)
        return OidcIdentity(subject=subject, role=role), float(claims["exp"])

    def _decode(self, token: str, key: Any, alg: str) -> dict[str, Any]:
        try:
            claims = jwt.decode(token, key, algorithms=[alg], audience=self.audience, issuer=self.issuer,
                                leeway=self.leeway, options={"require": REQUIRED_CLAIMS})
        except ExpiredSignatureError as exc:
            raise TokenRejected("token_expired", "expired") from exc
        except ImmatureSignatureError as exc:
            raise TokenRejected("token_not_yet_valid", "not yet valid (iat/nbf in the future)") from exc
        except InvalidTokenError as exc:
            raise TokenRejected("token_invalid", type(exc).__name__) from exc
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub or len(sub) > 255:
            raise TokenRejected("token_invalid", "bad subject")
        return claims


def build_verifier(settings: Settings) -> OidcVerifier | None:
    """The verifier for AUTH_OIDC_* settings, or None when AUTH_OIDC_ISSUER is empty (OIDC off)."""
    if not settings.auth.oidc_issuer:
        return None
    config = KeySourceConfig(issuer=settings.auth.oidc_issuer, jwks_url=settings.auth.oidc_jwks_url,
                             timeout=settings.auth.oidc_timeout, allow_loopback_http=not settings.is_production)
    fetcher = KeyFetcher(config)
    keys = KeyCache(fetcher.fetch, ttl=JWKS_TTL, min_interval=settings.auth.oidc_jwks_retry)
    roles = RoleMap(emails=settings.auth.oidc_roles, default=settings.auth.oidc_default_role)
    return OidcVerifier(settings.auth.oidc_issuer, settings.auth.oidc_audience, keys, roles,
                        leeway=LEEWAY, cache_size=CACHE_SIZE)
