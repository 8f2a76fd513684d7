"""GET /ops and /ops/assets/<file>: the operations page, a static shell that holds no data.

The page's script asks for a bearer token (or logs in through POST /api/auth/login), keeps it in
sessionStorage and polls the viewer endpoints (/api/health/detailed, /api/metrics, /api/metrics/workers,
/api/metrics/prometheus, /api/sync/jobs). So the shell and its assets are public; every number needs viewer.
Its CSP is `default-src 'self'` (no inline script or style, no CDN): the charts are hand-made SVG.
"""
from __future__ import annotations

from pathlib import Path

from flask import Response, send_from_directory

from app.api.blueprint import ApiBlueprint
from app.errors import NotFound
from app.extensions import talisman
from app.security import public

blp = ApiBlueprint("ops", __name__, description="Live operations page")
STATIC = Path(__file__).parent / "static"
PAGE_CSP = {"default-src": "'self'", "frame-ancestors": "'none'", "form-action": "'self'"}
# The files ops.html loads: name -> content type. Only these are served.
ASSETS: dict[str, str] = {
    "ops.css": "text/css",
    "promtext.js": "text/javascript",
    "charts.js": "text/javascript",
    "panels.js": "text/javascript",
    "ops.js": "text/javascript",
    "favicon.svg": "image/svg+xml",
}
_TEXT = {"schema": {"type": "string"}}


@blp.route("/ops", methods=["GET"])
@blp.response(200, description="Operations page (static shell, no data)")
@blp.doc(responses={200: {"content": {"text/html": _TEXT}}})
@talisman(content_security_policy=PAGE_CSP)
@public
def ops_page() -> Response:
    """The live operations page; it asks for a token, then polls the metrics and health endpoints."""
    resp = send_from_directory(STATIC, "ops.html")
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@blp.route("/ops/assets/<path:filename>", methods=["GET"])
@blp.response(200, description="A static asset of the operations page")
@blp.alt_response(404, response="NOT_FOUND", description="No such asset")
@blp.doc(responses={200: {"content": {ctype: _TEXT for ctype in sorted(set(ASSETS.values()))}}},
         parameters=[{"in": "path", "name": "filename", "required": True,
                      "schema": {"type": "string", "enum": sorted(ASSETS)}}])
@talisman(content_security_policy=PAGE_CSP)
@public
def ops_asset(filename: str) -> Response:
    """The page's own script, chart code and stylesheet."""
    if filename not in ASSETS:
        raise NotFound(f"No ops asset named {filename!r}.")
    resp = send_from_directory(STATIC, filename, mimetype=ASSETS[filename])
    resp.headers["Cache-Control"] = "no-cache"
    return resp
