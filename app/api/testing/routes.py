"""POST /api/testing/allocate: grow this worker's memory so the recycling tests can trip the limit."""
from __future__ import annotations

import os

from marshmallow import Schema, fields, validate

from app.api.blueprint import ApiBlueprint
from app.security import Role, require_role

blp = ApiBlueprint("testing", __name__, url_prefix="/api/testing", description="Testing only")
_held: list[bytearray] = []


class AllocateSchema(Schema):
    mb = fields.Integer(required=True, validate=validate.Range(min=1, max=2048))


class AllocatedSchema(Schema):
    pid = fields.Integer()
    heldMb = fields.Integer()


@blp.route("/allocate", methods=["POST"])
@blp.arguments(AllocateSchema)
@blp.response(200, AllocatedSchema)
@require_role(Role.ADMIN)
def allocate(args):
    """Hold `mb` more MiB in this worker (touched pages, so they count in USS)."""
    block = bytearray(args["mb"] * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    _held.append(block)
    return {"pid": os.getpid(), "heldMb": sum(len(b) for b in _held) // (1024 * 1024)}
