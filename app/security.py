"""Bearer-token authentication and role checks for every route.

Three kinds of token are accepted: configured API tokens (only their SHA-256 hashes are configured,
compared in constant time), access tokens the login route signs with SECRET_KEY (they expire), and
OIDC ID tokens of the configured issuer (Firebase...; app/services/oidc.py), told apart by their JOSE
header. Each view declares the role it needs with `@require_role` or `@public`; a view that declares
nothing needs admin, so a forgotten declaration fails closed. Every response but a public read carries
`Cache-Control: no-store`: authenticated JSON (and login tokens) must never sit in a shared cache.
"""
from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, Response, current_app, g, request
from flask_smorest import Blueprint
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.errors import DependencyUnavailable, Forbidden, Unauthorized
from app.services import oidc
from config.current import get_settings
from config.sections import AuthSettings

if TYPE_CHECKING:
    pass

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)


class Role(str, enum.Enum):  # noqa: UP042 - not StrEnum: str(Role.X) appears in messages and must not change
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self.value]


_RANKS = {"viewer": 1, "operator": 2, "admin": 3}


PUBLIC = "public"
RoleSpec = Role | Mapping[str, Role]


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    kind: str  # "api_token" | "login" | "oidc"


def require_role(spec: RoleSpec) -> Callable[[F], F]:
    """Declare the role a view needs: a Role, or {"GET": Role.VIEWER, "*": Role.ADMIN} by method."""
    roles = {"*": spec} if isinstance(spec, Role) else dict(spec)
    doc_role = ", ".join(f"{m}: {r.value}" for m, r in roles.items()) if len(roles) > 1 else roles["*"].value

    def decorator(func: F) -> F:
        func = Blueprint.doc(security=[{"bearerAuth": []}], **{"x-required-role": doc_role})(func)
        func._required_role = roles  # type: ignore[attr-defined]
        return func
    return decorator


def public(func: F) -> F:
    """Mark a view as open to anonymous callers (only the liveness and readiness probes)."""
    func = Blueprint.doc(security=[])(func)
    func._required_role = PUBLIC  # type: ignore[attr-defined]
    return func


def required_role_for(view: Callable[..., Any] | None, method: str) -> Role | str:
    spec = getattr(view, "_required_role", None)
    if spec is None:
        view_class = getattr(view, "view_class", None)
        handler = getattr(view_class, method.lower(), None) if view_class else None
        spec = getattr(handler, "_required_role", None)
    if spec == PUBLIC:
        return PUBLIC
    if not spec:
        return Role.ADMIN
    return spec.get(method.upper(), spec.get("*", Role.ADMIN))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="techno-etl-access")


def issue_access_token(subject: str, role: Role, secret: str) -> str:
    """A signed, expiring access token for a user who logged in (checked by `authenticate`)."""
    return _serializer(secret).dumps({"sub": subject, "role": role.value})


# Reason codes of a 401 (details.reason): what the caller can act on, nothing about the configuration.
_REFUSALS = {
    "token_missing": "A valid bearer token is required (Authorization: Bearer <token>).",
    "token_invalid": "The bearer token is invalid.",
    "token_expired": "The bearer token has expired.",
    "token_not_yet_valid": "The bearer token is not valid yet (check the clock).",
    "email_unverified": "The token's email address is not verified.",
    "no_role": "This identity has no role on this service.",
}


def refuse(reason: str) -> Unauthorized:
    g.auth_refused = reason  # for the access log line
    return Unauthorized(_REFUSALS[reason], details={"reason": reason},
                        headers={"WWW-Authenticate": 'Bearer realm="techno-etl"'})


class LoginTokenCache:
    """Login tokens this process has verified: SHA-256 of the token -> (principal, end of its validity).

    Checking a login token (an HMAC and a JSON decode) costs ~30 us, and a browser sends the same one on
    every call: it is checked once per token per process. An entry lasts until the token's own expiry
    (its signing time + ACCESS_TOKEN_TTL), so an expired token is refused exactly as without the cache;
    login tokens have no other revocation than a new SECRET_KEY, which builds a new app and cache.
    """

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> Principal | None:
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if entry[1] <= time.time():
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            return entry[0]

    def put(self, digest: str, principal: Principal, valid_until: float) -> None:
        with self._lock:
            self._entries[digest] = (principal, valid_until)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def authenticate(token: str, auth: AuthSettings, verifier: oidc.OidcVerifier | None = None,
                 login_cache: LoginTokenCache | None = None) -> Principal:
    """The principal of a bearer token. Raises Unauthorized (with a reason), or DependencyUnavailable when
    an OIDC token cannot be checked because the issuer's keys cannot be fetched."""
    digest = hash_token(token)
    match: Role | None = None
    for role, expected in auth.api_tokens:
        if hmac.compare_digest(digest, expected):  # no early exit: constant time over all entries
            match = Role(role)
    if match is not None:
        return Principal(subject=f"token:{digest[:8]}", role=match, kind="api_token")
    header = oidc.jwt_header(token)
    if header is not None:
        return _oidc_principal(token, header, verifier, digest)
    if auth.secret_key and "." in token:
        cached = login_cache.get(digest) if login_cache is not None else None
        if cached is not None:
            return cached
        try:
            data, signed_at = _serializer(auth.secret_key).loads(token, max_age=auth.access_token_ttl,
                                                                     return_timestamp=True)
            principal = Principal(subject=str(data["sub"]), role=Role(data["role"]), kind="login")
            if login_cache is not None:
                login_cache.put(digest, principal, signed_at.timestamp() + auth.access_token_ttl)
            return principal
        except SignatureExpired as exc:
            raise refuse("token_expired") from exc
        except (BadSignature, KeyError, ValueError, TypeError) as exc:
            raise refuse("token_invalid") from exc
    raise refuse("token_invalid")


def _oidc_principal(token: str, header: Mapping[str, Any], verifier: oidc.OidcVerifier | None,
                    digest: str) -> Principal:
    if verifier is None:
        raise refuse("token_invalid")  # OIDC sign-in is off (AUTH_OIDC_ISSUER empty)
    try:
        identity = verifier.verify(token, header, digest)
    except oidc.KeysUnavailable as exc:
        raise DependencyUnavailable("oidc_keys", "The sign-in provider's keys cannot be fetched right now; "
                                    "try again shortly.", headers={"Retry-After": "30"}) from exc
    except oidc.TokenRejected as exc:
        if exc.identity:
            g.auth_identity = exc.identity  # signature verified: safe to name in the log
        log.info("OIDC token refused: %s (%s)", exc.reason, exc,
                 extra={"event": "auth_refused", "reason": exc.reason, "identity": exc.identity})
        raise refuse(exc.reason) from exc
    return Principal(subject=identity.subject, role=Role(identity.role), kind="oidc")


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


# (view function, method) -> the role it needs: a view's declaration is fixed once it is registered.
_needed_roles: dict[tuple[Callable[..., Any] | None, str], Role | str] = {}
_NEEDED_ROLES_LIMIT = 4096  # views x methods; bounded against methods a client makes up


def check_request_auth() -> None:
    """before_request hook: 401 without a valid token, 403 when the role is too low."""
    req = request._get_current_object()  # type: ignore[attr-defined]
    method, rule = req.method, req.url_rule
    if method == "OPTIONS" or rule is None:
        return  # CORS preflights carry no token; unknown URLs fall through to the 404 handler
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    view = app.view_functions.get(rule.endpoint)
    needed = _needed_roles.get((view, method))
    if needed is None:
        needed = required_role_for(view, method)
        if len(_needed_roles) < _NEEDED_ROLES_LIMIT:
            _needed_roles[(view, method)] = needed
    if needed == PUBLIC:
        g.public_read = method in ("GET", "HEAD")
        return
    token = _bearer()
    if token is None:
        raise refuse("token_missing")
    extensions = app.extensions
    principal = authenticate(token, get_settings(app).auth, extensions.get("oidc"), extensions.get("login_tokens"))
    g.principal = principal
    needed_role = Role(needed)
    if principal.role.rank < needed_role.rank:
        raise Forbidden(f"This action needs the {needed_role.value} role; your token has {principal.role.value}.")


def no_store(response: Response) -> Response:
    """after_request hook: only a public read (probes, page shells) may be kept by a cache."""
    if not g.get("public_read"):
        response.headers["Cache-Control"] = "no-store"
    return response


def current_principal() -> Principal | None:
    return getattr(g, "principal", None)


def init_app(app: Flask) -> None:
    app.extensions["oidc"] = oidc.build_verifier(get_settings(app))
    app.extensions["login_tokens"] = LoginTokenCache()
    app.before_request(check_request_auth)
    app.after_request(no_store)
