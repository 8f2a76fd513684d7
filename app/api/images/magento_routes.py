"""POST /api/magento/products/{sku}/images (admin): process an image and upload it to the product's gallery.

Registered before the Magento proxy's catch-all so it is never forwarded as a raw media call.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.blueprint import ApiBlueprint
from app.api.envelope import ok
from app.api.images.uploads import admitted, read_upload
from app.api.schemas import ErrorSchema
from app.security import Role, require_role
from app.services.images.upload import DEFAULT_ROLES, upload_to_magento

blp = ApiBlueprint("magento_images", __name__, url_prefix="/api/magento/products",
                   description="Product images uploaded to Magento")
ROLES = ("image", "small_image", "thumbnail", "swatch_image")


class UploadSchema(Schema):
    image = fields.String(metadata={"description": "base64 image bytes (a data: URL is accepted); "
                                                   "or send multipart/form-data with a `file` part"})
    label = fields.String(validate=validate.Length(max=255))
    position = fields.Integer(load_default=1, validate=validate.Range(min=0, max=1000))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), load_default=list(DEFAULT_ROLES))
    width = fields.Integer(load_default=1200, validate=validate.Range(min=50, max=4096))
    height = fields.Integer(load_default=1200, validate=validate.Range(min=50, max=4096))
    quality = fields.Integer(load_default=90, validate=validate.Range(min=1, max=100))


class UploadedSchema(Schema):
    success = fields.Boolean(required=True)
    sku = fields.String()
    entryId = fields.String(metadata={"description": "Magento's media gallery entry id"})
    width = fields.Integer()
    height = fields.Integer()
    bytes = fields.Integer()
    source = fields.Dict()


@blp.route("/<path:sku>/images", methods=["POST"])
@admitted
@blp.arguments(UploadSchema)
@blp.response(200, UploadedSchema)
@blp.alt_response(400, schema=ErrorSchema, description="Bad image, or Magento refused the entry (its body)")
@blp.alt_response(404, schema=ErrorSchema, description="Magento has no product with this SKU (its body)")
@blp.alt_response(415, schema=ErrorSchema, description="Not an accepted image format")
@blp.alt_response(503, schema=ErrorSchema, description="image_queue_full: this worker's image queue is full "
                  "(Retry-After); Magento unreachable")
@blp.alt_response(504, schema=ErrorSchema, description="image_task_timeout, or Magento did not answer in time")
@require_role(Role.ADMIN)
def upload_image(args, sku: str):
    """Resize to 1200x1200 on white (JPEG q90) and add it to the product's media gallery with its roles."""
    data = read_upload(args)
    result = upload_to_magento(sku, data, width=args["width"], height=args["height"], quality=args["quality"],
                               label=args.get("label"), position=args["position"], roles=args["roles"])
    return ok(sku=sku, entryId=result.entry_id, width=result.output.width, height=result.output.height,
              bytes=len(result.output.data), source=result.source)
