"""Schemas shared by every area: the error envelope and the common success envelope."""
from __future__ import annotations

from marshmallow import Schema, fields

# The response headers of an answer served from a dashboard snapshot (app/services/snapshots).
AGE_HEADERS = {
    "Age": {"description": "seconds since the snapshot's data was read from Magento",
            "schema": {"type": "integer", "minimum": 0}},
    "X-Data-As-Of": {"description": "when the snapshot's data was read from Magento (ISO 8601, UTC)",
                     "schema": {"type": "string", "format": "date-time"}},
}


class ErrorSchema(Schema):
    """The one error envelope (see app/error_handlers.py)."""

    success = fields.Boolean(required=True, metadata={"example": False})
    error = fields.String(required=True, metadata={"description": "short machine-readable code"})
    message = fields.String(required=True)
    requestId = fields.String(allow_none=True)
    details = fields.Dict(metadata={"description": "field -> reasons, or context such as the upstream"})


class OpenSchema(Schema):
    """A JSON object whose keys the service does not fix (passed through from Magento, for example)."""

    class Meta:
        unknown = "include"



class JobAcceptedSchema(Schema):
    """The reply of an endpoint that started a background job (app/api/jobs.py)."""

    success = fields.Boolean(required=True)
    jobId = fields.Integer(required=True)
    status = fields.String(required=True)
    statusUrl = fields.String(required=True)
    message = fields.String()
