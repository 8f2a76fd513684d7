"""Input limits and format sniffing: what an uploaded image may be before any pixel is decoded.

The format comes from the leading bytes only (never the file name or the declared Content-Type), and
the decoder is then restricted to that one plugin, so a file cannot steer itself to another parser.
"""
from __future__ import annotations

from dataclasses import dataclass

from PIL import features

from app.errors import AppError, InvalidInput, PayloadTooLarge, UnsupportedMedia

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
# 50 MP covers every camera a product photographer uses; a 12 MP photo is far below it.
DEFAULT_MAX_PIXELS = 50_000_000
# Longest side accepted: the largest WebP side is 16383, and nothing wider makes a product image.
DEFAULT_MAX_SIDE = 16_383
# What one request may produce: a 12 KB input asking for 16 outputs of 4096 px gave a 122 MB response.
DEFAULT_MAX_OUTPUT_PIXELS = 40_000_000  # e.g. 2 x 4096^2 + the default variants
DEFAULT_MAX_OUTPUT_BYTES = 32 * 1024 * 1024


class OutputTooLarge(PayloadTooLarge):
    """The requested outputs of one image exceed the per-request pixel or byte quota."""

    code = "image_output_too_large"


class StorageFull(AppError):
    """Writing a batch would take IMAGE_OUTPUT_DIR past its quota (507 Insufficient Storage)."""

    status, code, message = 507, "image_storage_full", "The image output directory has no room for this batch."


@dataclass(frozen=True)
class ImageLimits:
    """Hostile-input limits applied to every decode; picklable so it crosses the pool boundary."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_side: int = DEFAULT_MAX_SIDE
    max_output_pixels: int = DEFAULT_MAX_OUTPUT_PIXELS
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES


DEFAULT_LIMITS = ImageLimits()

MEDIA_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
    "AVIF": "image/avif",
}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp", "TIFF": "tif", "AVIF": "avif"}


def avif_supported() -> bool:
    """True when this Pillow build can read and write AVIF."""
    return bool(features.check("avif"))


def output_formats() -> tuple[str, ...]:
    """Formats the operations can write."""
    return ("JPEG", "PNG", "WEBP", "AVIF") if avif_supported() else ("JPEG", "PNG", "WEBP")


def sniff_format(data: bytes) -> str:
    """Return the Pillow format name of `data` from its magic bytes.

    Raises InvalidInput for empty input and UnsupportedMedia for anything that is not an accepted
    image format.
    """
    if not data:
        raise InvalidInput("The image is empty.")
    head = bytes(data[:32])
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"):
        if avif_supported():
            return "AVIF"
        raise UnsupportedMedia("AVIF images are not supported by this server's image library.")
    raise UnsupportedMedia(
        "The file is not a supported image (JPEG, PNG, GIF, WebP, TIFF"
        + (", AVIF" if avif_supported() else "") + ").",
        details={"accepted": sorted(MEDIA_TYPES)},
    )


def check_bytes(data: bytes, limits: ImageLimits) -> None:
    """Raise PayloadTooLarge when the encoded input exceeds the byte limit."""
    if len(data) > limits.max_bytes:
        raise PayloadTooLarge(
            f"The image is {len(data)} bytes; at most {limits.max_bytes} are accepted.",
            details={"bytes": len(data), "maxBytes": limits.max_bytes},
        )


def check_output_pixels(pixels: int, limits: ImageLimits) -> None:
    """Raise OutputTooLarge (413) before rendering when the outputs' total pixels exceed the quota."""
    if pixels > limits.max_output_pixels:
        raise OutputTooLarge(
            f"The requested outputs total {pixels} pixels; at most {limits.max_output_pixels} per image are "
            "produced (ask for fewer or smaller sizes).",
            details={"outputPixels": pixels, "maxOutputPixels": limits.max_output_pixels},
        )


def check_output_bytes(nbytes: int, limits: ImageLimits) -> None:
    """Raise OutputTooLarge (413) as soon as the encoded outputs pass the byte quota."""
    if nbytes > limits.max_output_bytes:
        raise OutputTooLarge(
            f"The encoded outputs pass {limits.max_output_bytes} bytes, the most one image may produce.",
            details={"maxOutputBytes": limits.max_output_bytes},
        )


def check_dimensions(width: int, height: int, limits: ImageLimits) -> None:
    """Raise before decoding when the declared size is a decompression bomb or absurdly long."""
    if width <= 0 or height <= 0:
        raise InvalidInput(f"The image declares an invalid size {width}x{height}.")
    if width * height > limits.max_pixels:
        raise PayloadTooLarge(
            f"The image is {width}x{height} ({width * height} pixels); at most {limits.max_pixels} "
            "pixels are accepted.",
            details={"width": width, "height": height, "maxPixels": limits.max_pixels},
        )
    if max(width, height) > limits.max_side:
        raise PayloadTooLarge(
            f"The image is {width}x{height}; no side may exceed {limits.max_side} pixels.",
            details={"width": width, "height": height, "maxSide": limits.max_side},
        )
