"""POST /api/images/process (operator): one image in, processed outputs back (JSON base64 or a zip)."""
from __future__ import annotations

import base64
import io
import zipfile
from typing import Any

from flask import request, send_file

from app.api.blueprint import ApiBlueprint
from app.api.envelope import ok
from app.api.images.schemas import (
    BatchJsonSchema,
    ProcessJsonSchema,
    ProcessResultSchema,
)
from app.api.images.uploads import admitted, read_batch, read_request
from app.api.jobs import job_reply, requested_by
from app.api.schemas import ErrorSchema, JobAcceptedSchema
from app.errors import PayloadTooLarge
from app.imaging import ImageResult
from app.imaging.names import safe_file_name
from app.security import Role, require_role
from app.services.images.service import get_images

blp = ApiBlueprint("images", __name__, url_prefix="/api/images",
                   description="Product images: resize, optimize, thumbnail, convert, variants")

_MULTIPART_DOC = {"requestBody": {"content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary"},
                   "operations": {"type": "string", "description": "JSON list, as in the JSON body"},
                   "sizes": {"type": "string", "description": "JSON list or 1200,600,300"},
                   "format": {"type": "string"}, "quality": {"type": "integer", "minimum": 1, "maximum": 100},
                   "response": {"type": "string", "enum": ["json", "zip"]},
                   "watermark_text": {"type": "string"}, "watermark_position": {"type": "string"}}}}}}}


def _operations(options: dict[str, Any]) -> list[dict[str, Any]]:
    if options.get("operations"):
        return options["operations"]
    if options.get("sizes"):
        return [{"op": "variants", "sizes": options["sizes"], "format": options["format"],
                 "quality": options["quality"]}]
    return [{"op": "resize", "format": options["format"], "quality": options["quality"]}]


def _zip(result: ImageResult, stem: str):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # images are compressed already
        for output in result.outputs:
            archive.writestr(f"{stem}_{output.name}.{output.extension}", output.data)
    buffer.seek(0)
    return send_file(buffer, mimetype="application/zip", as_attachment=True, download_name=f"{stem}.zip")


@blp.route("/process", methods=["POST"])
@admitted
@blp.arguments(ProcessJsonSchema)
@blp.response(200, ProcessResultSchema)
@blp.alt_response(200, description="the outputs as a zip (response=zip)", content_type="application/zip",
                  success=True)
@blp.alt_response(415, schema=ErrorSchema, description="Not an accepted image format")
@blp.alt_response(503, schema=ErrorSchema, description="image_queue_full: this worker's image queue is full "
                  "(Retry-After); image_pool_restarted")
@blp.alt_response(504, schema=ErrorSchema, description="image_task_timeout: the image took too long")
@blp.doc(**_MULTIPART_DOC)
@require_role(Role.OPERATOR)
def process_image(args):
    """Process one image (JSON base64 or multipart `file`) into the requested outputs.

    The format is sniffed from the bytes (not the name or declared type); metadata is stripped,
    EXIF orientation applied, colours converted to sRGB. Hostile input gets a 4xx envelope:
    400 corrupt or truncated, 413 too many bytes or pixels, 415 not an image, 504 too slow.
    """
    data, options, watermark = read_request(args)
    images = get_images()
    if len(data) > images.limits.max_bytes:
        raise PayloadTooLarge(f"The image is larger than the {images.limits.max_bytes} bytes allowed.")
    result = images.process(data, _operations(options), watermark)
    if options.get("response") == "zip":
        name = args.get("filename") or getattr(request.files.get("file"), "filename", None)
        return _zip(result, safe_file_name(name, "image").rsplit(".", 1)[0] or "image")
    outputs = [{**o.as_dict(), "data": base64.b64encode(o.data).decode("ascii")} for o in result.outputs]
    return ok(source=result.source.as_dict(), outputs=outputs)


@blp.route("/batch", methods=["POST"])
@blp.arguments(BatchJsonSchema)
@blp.response(202, JobAcceptedSchema, description="queued: poll statusUrl; outputs are listed in the job")
@blp.alt_response(200, schema=JobAcceptedSchema, description="finished within `wait`")
@blp.alt_response(507, schema=ErrorSchema, description="image_storage_full: IMAGE_OUTPUT_DIR would pass "
                  "IMAGE_OUTPUT_MAX_BYTES (413 image_batch_too_large: the batch alone passes IMAGE_BATCH_MAX_BYTES)")
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"],
    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                   "sizes": {"type": "string", "description": "JSON list or 1200,600,300"},
                   "format": {"type": "string"}, "quality": {"type": "integer", "minimum": 1, "maximum": 100}}}}}})
@require_role(Role.OPERATOR)
def batch(args):
    """Many images -> a background job writing square variants under IMAGE_OUTPUT_DIR; 202 + job id.

    Each file is checked when the job runs (a bad one is reported in the job, the others still land).
    Disk quotas are checked first, from the requested sizes: 413 image_batch_too_large, 507
    image_storage_full, before anything is written.
    """
    files, options = read_batch(args)
    job_id = get_images().submit_batch(files, sizes=options["sizes"], format=options["format"],
                                       quality=options["quality"], requested_by=requested_by())
    return job_reply(job_id, 0)
