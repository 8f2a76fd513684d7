"""Encoding: a processed Image to output bytes with no metadata, plus flattening and canvases."""
from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from app.errors import InvalidInput, UnsupportedMedia
from app.imaging.limits import EXTENSIONS, MEDIA_TYPES, output_formats

WHITE = (255, 255, 255)
_ALIASES = {"JPG": "JPEG", "JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "AVIF": "AVIF"}


@dataclass(frozen=True)
class Output:
    """One encoded image; plain data so it pickles back from the pool cheaply."""

    name: str
    data: bytes
    format: str
    width: int
    height: int
    mode: str

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    def as_dict(self) -> dict[str, object]:
        """Metadata without the bytes (the API adds base64 itself)."""
        return {"name": self.name, "format": self.format, "mediaType": self.media_type,
                "width": self.width, "height": self.height, "mode": self.mode,
                "bytes": len(self.data)}


def normalize_format(fmt: str) -> str:
    """Map a user-given format name ('jpg', 'webp'...) to Pillow's; raise for unsupported ones.

    Raises UnsupportedMedia (AVIF on a build without it) or InvalidInput (unknown name).
    """
    name = _ALIASES.get(str(fmt).strip().upper())
    if name is None:
        raise InvalidInput(f"Unknown output format {fmt!r}.",
                           details={"format": [f"one of {', '.join(output_formats())}"]})
    if name not in output_formats():
        raise UnsupportedMedia(f"This server cannot write {name} images.")
    return name


def check_quality(quality: int) -> int:
    if not 1 <= int(quality) <= 100:
        raise InvalidInput("quality must be between 1 and 100.", details={"quality": ["1..100"]})
    return int(quality)


def flatten(im: Image.Image, background: tuple[int, int, int] = WHITE) -> Image.Image:
    """Composite an RGBA image on an opaque background; RGB images pass through."""
    if im.mode != "RGBA":
        return im
    flat = Image.new("RGB", im.size, background)
    flat.paste(im, mask=im.getchannel("A"))
    return flat


def on_canvas(im: Image.Image, size: tuple[int, int],
              background: tuple[int, int, int] = WHITE) -> Image.Image:
    """Centre `im` on an opaque canvas of exactly `size` (transparency lands on the background)."""
    if im.size == size:
        return flatten(im, background)
    canvas = Image.new("RGB", size, background)
    offset = ((size[0] - im.width) // 2, (size[1] - im.height) // 2)
    canvas.paste(im, offset, mask=im.getchannel("A") if im.mode == "RGBA" else None)
    return canvas


def encode(im: Image.Image, name: str, fmt: str, quality: int) -> Output:
    """Encode without EXIF, XMP or ICC; JPEG output is always flattened on white."""
    if fmt == "JPEG":
        im = flatten(im)
    elif im.mode not in ("RGB", "RGBA"):
        im = im.convert("RGB")
    # Pillow's PNG writer copies im.info's ICC profile; an empty info means nothing is carried over.
    im.info = {}
    buffer = io.BytesIO()
    if fmt == "JPEG":
        im.save(buffer, "JPEG", quality=quality, optimize=True)
    elif fmt == "PNG":
        im.save(buffer, "PNG", compress_level=6)
    elif fmt == "WEBP":
        im.save(buffer, "WEBP", quality=quality, method=4)
    elif fmt == "AVIF":
        im.save(buffer, "AVIF", quality=quality, speed=8)
    else:  # normalize_format keeps this unreachable
        raise UnsupportedMedia(f"This server cannot write {fmt} images.")
    return Output(name=name, data=buffer.getvalue(), format=fmt, width=im.width, height=im.height,
                  mode=im.mode)
