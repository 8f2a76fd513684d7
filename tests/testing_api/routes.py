"""Testing-only routes (registered by the tests: tests/testing_api/__init__.py).

POST /api/testing/allocate grows this worker's memory so the recycling tests can trip the limit;
/api/testing/upload, /api/testing/items/<sku> and /api/testing/tolerant give the contract tests a file
input, a validated path parameter and the documented tolerances (pass-through query, optional POST body, JSON body
on DELETE) to exercise;
GET /api/testing/magento/store-configs makes one Magento call through the client (resilience tests).
"""
from __future__ import annotations

import os

from flask_smorest.fields import Upload
from marshmallow import INCLUDE, Schema, fields, validate

from app.api.blueprint import ApiBlueprint
from app.api.openapi import passthrough_query
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


class TestingUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "any file; its size and type are echoed"})


class TestingUploadedSchema(Schema):
    filename = fields.String(allow_none=True)
    size = fields.Integer()
    contentType = fields.String(allow_none=True)


@blp.route("/upload", methods=["POST"])
@blp.arguments(TestingUploadSchema, location="files")
@blp.response(200, TestingUploadedSchema)
@require_role(Role.OPERATOR)
def upload(args):
    """Multipart file input, so the contract tests cover the `files` location."""
    stream = args["file"]
    return {"filename": stream.filename, "size": len(stream.read()), "contentType": stream.mimetype}


class TestingTolerantQuerySchema(Schema):
    pageSize = fields.Integer(validate=validate.Range(min=1, max=500))


class TestingTolerantBodySchema(Schema):
    sku = fields.String(validate=validate.Length(min=1, max=64))
    force = fields.Boolean()


class TestingEchoSchema(Schema):
    method = fields.String(required=True)
    args = fields.Dict(keys=fields.String(), values=fields.Raw())


@blp.route("/tolerant", methods=["GET"])
@blp.arguments(TestingTolerantQuerySchema, location="query", unknown=INCLUDE)
@blp.response(200, TestingEchoSchema)
@passthrough_query("Other query parameters are kept and echoed (as a Magento search would forward them).")
@require_role(Role.VIEWER)
def tolerant_query(args):
    """Unknown query parameters are accepted and kept; known ones are still validated."""
    return {"method": "GET", "args": args}


@blp.route("/tolerant", methods=["POST"])
@blp.arguments(TestingTolerantBodySchema, required=False)
@blp.response(200, TestingEchoSchema)
@require_role(Role.OPERATOR)
def tolerant_post(args):
    """A JSON body is optional: the frontend POSTs without a body or a Content-Type."""
    return {"method": "POST", "args": args}


@blp.route("/tolerant", methods=["DELETE"])
@blp.arguments(TestingTolerantBodySchema)
@blp.response(200, TestingEchoSchema)
@require_role(Role.OPERATOR)
def tolerant_delete(args):
    """A JSON body on DELETE, as the frontend sends it (documented, and validated)."""
    return {"method": "DELETE", "args": args}


class TestingItemPathSchema(Schema):
    sku = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9._-]{1,64}$"))


class TestingItemSchema(Schema):
    sku = fields.String(required=True)


@blp.route("/items/<sku>", methods=["GET"])
@blp.arguments(TestingItemPathSchema, location="path")
@blp.response(200, TestingItemSchema)
@require_role(Role.VIEWER)
def item(args, sku: str):
    """A path parameter validated by its schema (a bad SKU is a 400 naming the field, not a 404)."""
    return {"sku": args["sku"]}


class TestingMagentoSchema(Schema):
    items = fields.Integer()


@blp.route("/magento/store-configs", methods=["GET"])
@blp.response(200, TestingMagentoSchema)
@require_role(Role.VIEWER)
def magento_store_configs():
    """One Magento call through the app's client (breaker + bulkhead guard): the resilience tests' load."""
    from app.adapters.magento import get_magento_client

    body = get_magento_client().request("GET", "store/storeConfigs")
    return {"items": len(body) if isinstance(body, list) else 0}
