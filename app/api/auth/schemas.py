"""Inputs and outputs of /api/auth (the OpenAPI document is generated from them)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=255))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))


class LoginResultSchema(Schema):
    success = fields.Boolean(required=True)
    token = fields.String(required=True, metadata={"description": "send as `Authorization: Bearer <token>`"})
    tokenType = fields.String(required=True, metadata={"example": "Bearer"})
    expiresIn = fields.Integer(required=True, metadata={"description": "seconds"})
    role = fields.String(required=True, validate=validate.OneOf(["viewer", "operator", "admin"]))
    username = fields.String(required=True)
