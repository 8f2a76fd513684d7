"""POST /V1/integration/admin/token (anonymous): the token as a bare JSON string."""
from __future__ import annotations

from ..errors import INPUT_EXCEPTIONS, REQUIRED_FIELD, aggregate
from ..inputs import as_str, require
from ..router import Router
from ..sandbox import Ctx


def create_admin_token(ctx: Ctx) -> str:
    body = ctx.body
    require(body, "username", "password")
    username, password = as_str(body["username"]), as_str(body["password"])
    # CredentialsValidator: empty values are "required" errors, aggregated like an InputException.
    empty = [(REQUIRED_FIELD, {"fieldName": n}) for n, v in (("username", username), ("password", password)) if not v]
    if empty:
        raise aggregate(INPUT_EXCEPTIONS, empty)
    return ctx.sandbox.tokens.issue(username or "", password or "")


def register(sync: Router, bulk: Router) -> None:
    sync.add("POST", "V1/integration/admin/token", "anonymous", anonymous=True)(create_admin_token)
