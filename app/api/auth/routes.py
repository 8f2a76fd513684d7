"""The login routes: the only API routes open without a token (you log in to get one), tightly rate-limited.

POST /api/auth/login answers `{success, token, tokenType, expiresIn, role, username}` (the username
normalised: stripped, NFKC, case folded); the frontend's existing call, POST
/api/magento/integration/admin/token, gets Magento's own answer shape: the token as a bare JSON string
(our signed token, never Magento's). Both go through app/services/magento/login.py: failure budget
reserved before Magento is asked, integration user checked locally, a floor on the answer time.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from flask.blueprints import BlueprintSetupState

from app.api.auth.schemas import LoginResultSchema, LoginSchema
from app.api.blueprint import ApiBlueprint
from app.api.envelope import ok
from app.api.schemas import ErrorSchema
from app.security import public
from app.services.magento.login import login
from config.current import get_settings

login_blp = ApiBlueprint("login", __name__, url_prefix="/api", description="Log in with Magento admin credentials")


def _limit_logins(state: BlueprintSetupState) -> None:
    # The limiter is per app (app/ratelimit.py), so the limit is attached when the blueprint is
    # registered: LOGIN_RATE_LIMIT per client address, on every route of this blueprint only.
    app: Flask = state.app
    app.extensions["limiter"].limit_blueprint(login_blp.name, get_settings(app).auth.login_rate_limit,
                                              "Too many login attempts")


login_blp.record_once(_limit_logins)


def _errors(func: Any) -> Any:
    func = login_blp.alt_response(401, schema=ErrorSchema, description="wrong username or password")(func)
    func = login_blp.alt_response(
        429, schema=ErrorSchema, headers={"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}},
        description="too many attempts from this address (LOGIN_RATE_LIMIT), or this username (any spelling) "
                    "used its LOGIN_MAX_FAILURES failed logins: Magento is not asked until Retry-After")(func)
    func = login_blp.alt_response(503, schema=ErrorSchema, description="Magento is unreachable")(func)
    return login_blp.alt_response(504, schema=ErrorSchema, description="Magento did not answer in time")(func)


@login_blp.route("/auth/login", methods=["POST"])
@login_blp.arguments(LoginSchema)
@login_blp.response(200, LoginResultSchema)
@_errors
@public
def auth_login(args: dict[str, Any]):
    """Check the Magento admin credentials and answer the backend's own access token and role."""
    result = login(args["username"], args["password"])
    return ok(token=result.token, tokenType="Bearer", expiresIn=result.expires_in, role=result.role.value,
              username=result.username)


@login_blp.route("/magento/integration/admin/token", methods=["POST"])
@login_blp.arguments(LoginSchema)
@login_blp.doc(responses={"200": {"description": "the backend's access token as a bare JSON string "
                                                 "(Magento's answer shape)",
                                  "content": {"application/json": {"schema": {"type": "string"}}}}})
@_errors
@public
def magento_admin_token(args: dict[str, Any]):
    """The frontend's login call: same check, answered like Magento (a JSON string) with our token."""
    return jsonify(login(args["username"], args["password"]).token)
