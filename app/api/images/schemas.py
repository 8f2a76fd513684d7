"""Request and response schemas of the image API."""
from __future__ import annotations

import json

from marshmallow import Schema, ValidationError, fields, validate

from app.imaging.operations import MAX_OUTPUT_SIDE, MAX_TARGETS


class JsonList(fields.List):
    """A list, or (in a multipart form) the same list as a JSON string or comma-separated values."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            text = value.strip()
            try:
                value = json.loads(text) if text.startswith("[") else [v for v in text.split(",") if v.strip()]
            except ValueError as exc:
                raise ValidationError("Not a JSON list.") from exc
        return super()._deserialize(value, attr, data, **kwargs)


class WatermarkSchema(Schema):
    text = fields.String(validate=validate.Length(min=1, max=200))
    image = fields.String(metadata={"description": "base64 logo (PNG with alpha works best)"})
    position = fields.String(load_default="bottom-right",
                             validate=validate.OneOf(["bottom-right", "bottom-left", "top-right", "top-left",
                                                      "center"]))
    opacity = fields.Float(load_default=0.35, validate=validate.Range(min=0.01, max=1.0))
    scale = fields.Float(load_default=0.25, validate=validate.Range(min=0.02, max=1.0))


class ProcessOptionsSchema(Schema):
    """Options shared by the JSON body and the multipart form."""

    operations = JsonList(fields.Dict(), validate=validate.Length(min=1, max=MAX_TARGETS), metadata={
        "description": 'e.g. [{"op": "resize", "width": 1200, "height": 1200, "quality": 90}, '
                       '{"op": "thumbnail"}, {"op": "convert", "format": "webp"}]; ops: resize, optimize, '
                       "thumbnail, convert, variants. Default: resize 1200x1200 on white (or variants "
                       "when sizes is given)."})
    sizes = JsonList(fields.Integer(validate=validate.Range(min=1, max=MAX_OUTPUT_SIDE)),
                     validate=validate.Length(min=1, max=MAX_TARGETS),
                     metadata={"description": "square white-canvas variants, e.g. [1200, 600, 300, 150]"})
    format = fields.String(load_default="JPEG", metadata={"description": "for sizes: JPEG, PNG, WEBP, AVIF"})
    quality = fields.Integer(load_default=90, validate=validate.Range(min=1, max=100))
    response = fields.String(load_default="json", validate=validate.OneOf(["json", "zip"]))


class ProcessJsonSchema(ProcessOptionsSchema):
    image = fields.String(metadata={"description": "base64 image bytes (a data: URL is accepted)"})
    filename = fields.String(validate=validate.Length(max=255))
    watermark = fields.Nested(WatermarkSchema)


class ProcessFormSchema(ProcessOptionsSchema):
    """multipart/form-data: a `file` part plus these fields (operations/sizes as JSON or CSV)."""

    watermark_text = fields.String(validate=validate.Length(min=1, max=200))
    watermark_position = fields.String(load_default="bottom-right")


class SourceSchema(Schema):
    format = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    mode = fields.String()
    orientation = fields.Integer()
    animated = fields.Boolean()
    iccProfile = fields.String(allow_none=True)
    bytes = fields.Integer()


class OutputSchema(Schema):
    name = fields.String()
    format = fields.String()
    mediaType = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    mode = fields.String()
    bytes = fields.Integer()
    data = fields.String(metadata={"description": "base64 of the encoded image"})


class ProcessResultSchema(Schema):
    success = fields.Boolean(required=True)
    source = fields.Nested(SourceSchema)
    outputs = fields.List(fields.Nested(OutputSchema))


class BatchImageSchema(Schema):
    name = fields.String(load_default=None, validate=validate.Length(max=255))
    data = fields.String(required=True, metadata={"description": "base64 image bytes (a data: URL is accepted)"})


class BatchJsonSchema(Schema):
    """JSON body of POST /api/images/batch (or multipart: several `files` parts plus these fields)."""

    images = fields.List(fields.Nested(BatchImageSchema), validate=validate.Length(min=1, max=100))
    sizes = JsonList(fields.Integer(validate=validate.Range(min=1, max=MAX_OUTPUT_SIDE)),
                     load_default=lambda: [1200, 600, 300, 150], validate=validate.Length(min=1, max=MAX_TARGETS))
    format = fields.String(load_default="JPEG", validate=validate.OneOf(["JPEG", "PNG", "WEBP", "AVIF"]))
    quality = fields.Integer(load_default=90, validate=validate.Range(min=1, max=100))


class BatchFormSchema(Schema):
    sizes = BatchJsonSchema._declared_fields["sizes"]
    format = BatchJsonSchema._declared_fields["format"]
    quality = BatchJsonSchema._declared_fields["quality"]
