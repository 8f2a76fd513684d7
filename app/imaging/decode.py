"""Safe decoding: bytes in, an oriented 8-bit sRGB Image (RGB or RGBA) out, or a typed error.

Every defence against hostile files lives here: byte and pixel limits checked before decoding,
Pillow's decompression-bomb guard set for this call only, truncated/corrupt data refused (never
LOAD_TRUNCATED_IMAGES), and the decoder restricted to the sniffed format.
"""
from __future__ import annotations

import contextlib
import io
import logging
import struct
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from app.errors import AppError, InvalidInput, PayloadTooLarge, UnsupportedMedia
from app.imaging.limits import (
    ImageLimits,
    check_bytes,
    check_dimensions,
    sniff_format,
)

log = logging.getLogger(__name__)

_ORIENTATION_TAG = 0x0112
_SWAPS_AXES = {5, 6, 7, 8}  # EXIF orientations that rotate by 90 degrees
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_ALPHA_MODES = {"RGBA", "RGBa", "LA", "La", "PA"}
_SIXTEEN_BIT = {"I", "I;16", "I;16B", "I;16L", "I;16N"}
# Exceptions Pillow's decoders raise on malformed data (besides OSError for truncation).
_CORRUPT = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError, TypeError,
            ZeroDivisionError)


@dataclass(frozen=True)
class SourceInfo:
    """What was decoded: sniffed format, displayed size (after EXIF orientation), original mode."""

    format: str
    width: int
    height: int
    mode: str
    orientation: int
    animated: bool
    icc_profile: str | None
    bytes: int

    def as_dict(self) -> dict[str, object]:
        return {"format": self.format, "width": self.width, "height": self.height, "mode": self.mode,
                "orientation": self.orientation, "animated": self.animated,
                "iccProfile": self.icc_profile, "bytes": self.bytes}


@contextlib.contextmanager
def _bomb_guard(limits: ImageLimits) -> Iterator[None]:
    """Set Pillow's global pixel cap for this call and make its warning an error.

    Safe because an operation runs alone in its pool process; the previous value is restored so a
    caller running inline (tests, CLI) is left as it was.
    """
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def oriented_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """The displayed size of an image stored as `size` with this EXIF orientation."""
    return (size[1], size[0]) if orientation in _SWAPS_AXES else size


def _profile_description(icc: bytes | None) -> tuple[ImageCms.ImageCmsProfile | None, str | None]:
    if not icc:
        return None, None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return profile, (ImageCms.getProfileDescription(profile) or "").strip() or "unnamed"
    except (OSError, ImageCms.PyCMSError, ValueError, TypeError):
        return None, "unreadable"  # a broken profile is ignored: the pixels are taken as sRGB


DraftBox = Callable[[tuple[int, int]], "tuple[int, int] | None"]


def decode(data: bytes, limits: ImageLimits, *, draft_box: DraftBox | None = None,
           ) -> tuple[Image.Image, SourceInfo]:
    """Decode `data` into an oriented RGB/RGBA sRGB image.

    `draft_box(displayed_size)` returns the largest size the caller needs (or None for all pixels);
    a JPEG then decodes at the smallest DCT scale still covering it, most of the fast path. Animated inputs keep
    their first frame (product images are stills; the source info says the input was animated).

    Raises PayloadTooLarge (bytes, pixels, side, decompression bomb), UnsupportedMedia (format,
    pixel type), InvalidInput (empty, truncated or corrupt data).
    """
    check_bytes(data, limits)
    fmt = sniff_format(data)
    try:
        with _bomb_guard(limits):
            im: Image.Image = Image.open(io.BytesIO(data), formats=[fmt])
            check_dimensions(im.width, im.height, limits)
            animated = bool(getattr(im, "is_animated", False))
            orientation = int(im.getexif().get(_ORIENTATION_TAG, 1) or 1)
            if orientation not in range(1, 9):
                orientation = 1
            stored = im.size
            needed = draft_box(oriented_size(stored, orientation)) if draft_box else None
            if fmt == "JPEG" and needed:
                # draft() wants the stored orientation; it never goes below the requested size.
                im.draft(None, oriented_size(needed, orientation))
            im.load()
    except AppError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PayloadTooLarge(f"The image is too large to decode safely: {exc}") from exc
    except MemoryError as exc:
        raise PayloadTooLarge("The image needs more memory than a worker may use.") from exc
    except UnidentifiedImageError as exc:
        raise InvalidInput(f"The file starts like a {fmt} image but cannot be read as one.") from exc
    except _CORRUPT as exc:
        raise InvalidInput(f"The {fmt} image is truncated or corrupt: {exc}") from exc

    icc = im.info.get("icc_profile")
    profile, description = _profile_description(icc)
    info = SourceInfo(format=fmt, width=oriented_size(stored, orientation)[0],
                      height=oriented_size(stored, orientation)[1], mode=im.mode,
                      orientation=orientation, animated=animated, icc_profile=description,
                      bytes=len(data))
    try:
        if orientation != 1:
            ImageOps.exif_transpose(im, in_place=True)  # reads the EXIF still attached to `im`
        im = _to_srgb(im, profile, description)
    except AppError:
        raise
    except _CORRUPT as exc:
        raise InvalidInput(f"The {fmt} image could not be converted: {exc}") from exc
    im.info.clear()  # nothing of the source's metadata may reach an output
    return im, info


def _to_srgb(im: Image.Image, profile: ImageCms.ImageCmsProfile | None,
             description: str | None) -> Image.Image:
    """Bring any supported pixel type to 8-bit RGB or RGBA in sRGB."""
    mode = im.mode
    if mode == "F":
        raise UnsupportedMedia("Floating-point images are not supported.")
    if mode in _SIXTEEN_BIT:
        # convert("L") would clip every value above 255 to white; scale the 16-bit range instead.
        im = im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
        mode = "L"
    if mode == "P":
        mode = "RGBA" if "transparency" in im.info else "RGB"
        return im.convert(mode)  # palette images carry no usable ICC profile for Pillow
    has_alpha = mode in _ALPHA_MODES
    target = "RGBA" if has_alpha else "RGB"
    if profile is not None and description and "srgb" not in description.lower():
        converted = _apply_profile(im, profile, target)
        if converted is not None:
            return converted
    if mode in ("RGBa", "La"):
        im = im.convert("RGBA")
    return im if im.mode == target else im.convert(target)


def _apply_profile(im: Image.Image, profile: ImageCms.ImageCmsProfile,
                   target: str) -> Image.Image | None:
    """Convert to sRGB through the embedded profile; None when LittleCMS refuses the pair."""
    source = im
    if im.mode in ("LA", "La", "PA", "RGBa"):
        source = im.convert("RGBA")  # LittleCMS has no transform for these modes
    try:
        return ImageCms.profileToProfile(source, profile, _SRGB, outputMode=target,
                                         renderingIntent=ImageCms.Intent.PERCEPTUAL)
    except (ImageCms.PyCMSError, ValueError, OSError) as exc:
        log.info("ICC conversion skipped", extra={"reason": str(exc), "mode": im.mode})
        return None
