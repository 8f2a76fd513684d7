"""GET /api/openapi.json (viewer) and the /api-docs page (a static shell; off in production by default).

The page holds no data: its script asks for a bearer token, then fetches /api/openapi.json with it.
Swagger UI's assets come from the installed swagger-ui-bundle package (no CDN).
"""
from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from flask import current_app, jsonify, send_from_directory

from app.api.blueprint import ApiBlueprint
from app.errors import NotFound
from app.extensions import talisman
from app.security import Role, public, require_role

blp = ApiBlueprint("docs", __name__, description="API documentation")
_STATIC = Path(__file__).parent / "static"
_SWAGGER = Path(swagger_ui_bundle.swagger_ui_path)
_PAGE_CSP = {"default-src": "'self'", "style-src": "'self' 'unsafe-inline'", "img-src": "'self' data:",
             "frame-ancestors": "'none'"}


def _docs_enabled() -> None:
    if not current_app.config["SETTINGS"].api_docs_enabled:
        raise NotFound("The docs page is disabled (API_DOCS_ENABLED=false).")


@blp.route("/api/openapi.json", methods=["GET"])
@blp.response(200, description="The OpenAPI 3 document generated from the route schemas")
@require_role(Role.VIEWER)
def openapi_json():
    """The OpenAPI document, generated from the schemas every route declares."""
    return jsonify(current_app.extensions["api"].spec.to_dict())


@blp.route("/api-docs", methods=["GET"])
@blp.response(200, content_type="text/html", description="Swagger UI page (static shell, no data)")
@talisman(content_security_policy=_PAGE_CSP)
@public
def docs_page():
    _docs_enabled()
    return send_from_directory(_STATIC, "docs.html")


@blp.route("/api-docs/assets/<path:filename>", methods=["GET"])
@talisman(content_security_policy=_PAGE_CSP)
@public
def docs_asset(filename: str):
    _docs_enabled()
    if filename == "docs.js":
        return send_from_directory(_STATIC, filename)
    return send_from_directory(_SWAGGER, filename)
