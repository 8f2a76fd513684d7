"""Reading an image upload from a request: JSON base64 or a multipart `file`, bounded by IMAGE_MAX_BYTES.

Shared by the image endpoints (process, and the Magento upload); the declared type of an upload is
ignored on purpose: formats are sniffed from the bytes downstream.
"""
from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request
from marshmallow import ValidationError

from app.api.images.schemas import ProcessFormSchema
from app.errors import InvalidInput, PayloadTooLarge
from app.imaging import Watermark
from app.services.images.service import get_images

F = TypeVar("F", bound=Callable[..., Any])


def admitted(view: F) -> F:
    """Admit an image request before its body is read: 503 image_queue_full at once when the worker is full.

    Put it right under @blp.route, so it wraps the body parsing too (a refused request costs nothing).
    """
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with get_images().admission():
            return view(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def b64decode(value: str, field: str) -> bytes:
    if value.startswith("data:"):
        value = value.partition(",")[2]
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("The request is invalid.", details={field: ["not valid base64"]}) from exc


def read_request(args: dict[str, Any]) -> tuple[bytes, dict[str, Any], Watermark | None]:
    """The image bytes, options and watermark from a JSON body or a multipart form."""
    limit = get_images().limits.max_bytes
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput("The request is invalid.", details={"file": ["Missing data for required field."]})
        try:
            options = ProcessFormSchema().load(request.form.to_dict())
        except ValidationError as exc:
            raise InvalidInput("The request is invalid.", details=exc.messages) from exc
        data = upload.read(limit + 1)  # the declared Content-Type of the part is ignored on purpose
        text = options.pop("watermark_text", None)
        position = options.pop("watermark_position", "bottom-right")
        return data, options, Watermark(text=text, position=position) if text else None
    if "image" not in args:
        raise InvalidInput("The request is invalid.", details={"image": ["Missing data for required field."]})
    data = b64decode(args.pop("image"), "image")
    spec = args.pop("watermark", None)
    watermark = None
    if spec:
        logo = b64decode(spec["image"], "watermark.image") if spec.get("image") else None
        watermark = Watermark(text=spec.get("text"), image=logo, position=spec["position"],
                              opacity=spec["opacity"], scale=spec["scale"])
    return data, args, watermark


def read_upload(args: dict[str, Any]) -> bytes:
    """Only the image bytes (JSON `image` base64 or multipart `file`), bounded by the byte limit."""
    limit = get_images().limits.max_bytes
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput("The request is invalid.", details={"file": ["Missing data for required field."]})
        data = upload.read(limit + 1)
    elif "image" in args:
        data = b64decode(args["image"], "image")
    else:
        raise InvalidInput("The request is invalid.", details={"image": ["Missing data for required field."]})
    if len(data) > limit:
        raise PayloadTooLarge(f"The image is larger than the {limit} bytes allowed.")
    return data


def read_batch(args: dict[str, Any]) -> tuple[list[tuple[str, bytes]], dict[str, Any]]:
    """The (name, bytes) of every image of a batch and its options, from JSON or multipart `files` parts."""
    from app.api.images.schemas import BatchFormSchema

    limit = get_images().limits.max_bytes
    if request.mimetype == "multipart/form-data":
        uploads = request.files.getlist("files") or request.files.getlist("file")
        if not uploads:
            raise InvalidInput("The request is invalid.", details={"files": ["Missing data for required field."]})
        if len(uploads) > 100:
            raise InvalidInput("At most 100 images per batch.", details={"files": ["too many files (max 100)"]})
        try:
            options = BatchFormSchema().load(request.form.to_dict())
        except ValidationError as exc:
            raise InvalidInput("The request is invalid.", details=exc.messages) from exc
        files = [(upload.filename or f"image-{i}", upload.read(limit + 1)) for i, upload in enumerate(uploads, 1)]
    else:
        if not args.get("images"):
            raise InvalidInput("The request is invalid.", details={"images": ["Missing data for required field."]})
        files = [(item.get("name") or f"image-{i}", b64decode(item["data"], f"images.{i - 1}.data"))
                 for i, item in enumerate(args["images"], 1)]
        options = {k: args[k] for k in ("sizes", "format", "quality")}
    too_big = [name for name, data in files if len(data) > limit]
    if too_big:
        raise PayloadTooLarge(f"{', '.join(too_big[:5])}: larger than the {limit} bytes allowed per image.")
    return files, options
