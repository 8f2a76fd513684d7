"""GET /api/test: the seed's smoke endpoint (viewer)."""
from __future__ import annotations

import datetime as dt

from flask import jsonify
from marshmallow import Schema, fields

from app.api.blueprint import ApiBlueprint
from app.api.envelope import ok
from app.security import Role, require_role

blp = ApiBlueprint("core", __name__, url_prefix="/api", description="Smoke test")


class SmokeSchema(Schema):
    success = fields.Boolean(required=True)
    message = fields.String(required=True)
    timestamp = fields.String(required=True)


@blp.route("/test", methods=["GET"])
@blp.response(200, SmokeSchema)
@require_role(Role.VIEWER)
def smoke_test():
    """Check that the API answers and the caller's token is accepted."""
    # A tiny fixed reply: answered as is, without the schema dump (SmokeSchema documents it; the contract
    # tests check the answer against the document).
    return jsonify(ok(message="TECHNO-ETL API is working", timestamp=dt.datetime.now(dt.UTC).isoformat()))
