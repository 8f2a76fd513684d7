"""GET /api/openapi.json (viewer) and the /api-docs page (a static shell; off in production by default).

The page holds no data: its script asks for a bearer token, then fetches /api/openapi.json with it.
Swagger UI's assets come from the installed swagger-ui-bundle package (no CDN); only the files the
page loads are served, so the package's templates and source maps are not exposed.
"""
from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from flask import Response, current_app, jsonify, send_from_directory

from app.api.blueprint import ApiBlueprint
from app.errors import NotFound
from app.extensions import talisman
from app.security import Role, public, require_role
from config.current import get_settings

blp = ApiBlueprint("docs", __name__, description="API documentation")
_STATIC = Path(__file__).parent / "static"
_SWAGGER = Path(swagger_ui_bundle.swagger_ui_path)
_PAGE_CSP = {"default-src": "'self'", "style-src": "'self' 'unsafe-inline'", "img-src": "'self' data:",
             "frame-ancestors": "'none'"}
# The files docs.html loads: name -> (directory, content type).
ASSETS: dict[str, tuple[Path, str]] = {
    "docs.js": (_STATIC, "text/javascript"),
    "swagger-ui-bundle.js": (_SWAGGER, "text/javascript"),
    "swagger-ui.css": (_SWAGGER, "text/css"),
    "favicon-16x16.png": (_SWAGGER, "image/png"),
    "favicon-32x32.png": (_SWAGGER, "image/png"),
}
_TEXT = {"schema": {"type": "string"}}
_DISABLED = "The docs page is disabled (API_DOCS_ENABLED=false), or no such asset"


def _docs_enabled() -> None:
    if not get_settings().http.api_docs_enabled:
        raise NotFound("The docs page is disabled (API_DOCS_ENABLED=false).")


@blp.route("/api/openapi.json", methods=["GET"])
@blp.response(200, description="The OpenAPI 3 document generated from the route schemas")
@blp.doc(responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}})
@require_role(Role.VIEWER)
def openapi_json() -> Response:
    """The OpenAPI document, generated from the schemas every route declares."""
    return jsonify(current_app.extensions["api"].spec.to_dict())


@blp.route("/api-docs", methods=["GET"])
@blp.response(200, description="Swagger UI page (static shell, no data)")
@blp.alt_response(404, response="NOT_FOUND", description=_DISABLED)
@blp.doc(responses={200: {"content": {"text/html": _TEXT}}})
@talisman(content_security_policy=_PAGE_CSP)
@public
def docs_page() -> Response:
    """The Swagger UI page; it asks for a bearer token, then loads /api/openapi.json."""
    _docs_enabled()
    return send_from_directory(_STATIC, "docs.html")


@blp.route("/api-docs/assets/<path:filename>", methods=["GET"])
@blp.response(200, description="A static asset of the docs page")
@blp.alt_response(404, response="NOT_FOUND", description=_DISABLED)
@blp.doc(responses={200: {"content": {ctype: _TEXT for ctype in sorted({c for _, c in ASSETS.values()})}}},
         parameters=[{"in": "path", "name": "filename", "required": True,
                      "schema": {"type": "string", "enum": sorted(ASSETS)}}])
@talisman(content_security_policy=_PAGE_CSP)
@public
def docs_asset(filename: str) -> Response:
    """Swagger UI's own files (from the installed package) and the page's script."""
    _docs_enabled()
    if filename not in ASSETS:
        raise NotFound(f"No docs asset named {filename!r}.")
    directory, mimetype = ASSETS[filename]
    return send_from_directory(directory, filename, mimetype=mimetype)
