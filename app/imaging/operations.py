"""The image operations: pure functions from input bytes (plus options) to encoded outputs.

Every operation is a preset of `Target`s rendered by one pass: decode once (a JPEG at the smallest
DCT scale covering the largest output), apply orientation and sRGB, then resize in a cascade, each
size from the previous one with LANCZOS, largest first, encoding each as it comes. Output metadata
is always stripped.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from app.errors import InvalidInput
from app.imaging.decode import SourceInfo, decode
from app.imaging.encode import (
    WHITE,
    Output,
    check_quality,
    encode,
    normalize_format,
    on_canvas,
)
from app.imaging.limits import DEFAULT_LIMITS, ImageLimits, check_output_bytes, check_output_pixels
from app.imaging.watermark import Watermark, apply_watermark

MAX_OUTPUT_SIDE = 4096  # an output canvas is allocated whole: cap it so a request cannot ask for GBs
MAX_TARGETS = 16
DEFAULT_VARIANT_SIZES = (1200, 600, 300, 150)
_FILTER = Image.Resampling.LANCZOS


@dataclass(frozen=True)
class Target:
    """One requested output: fit within `box`; `canvas` pads to exactly `box` on white."""

    name: str
    box: tuple[int, int]
    canvas: bool = False
    upscale: bool = False
    quality: int = 90
    format: str = "JPEG"
    keep_size: bool = False  # convert: same pixels, new format


@dataclass(frozen=True)
class ImageResult:
    """The outputs of one pass, in the order requested, and what the source was."""

    source: SourceInfo
    outputs: tuple[Output, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source.as_dict(), "outputs": [o.as_dict() for o in self.outputs]}


def fit_size(size: tuple[int, int], box: tuple[int, int], upscale: bool = False) -> tuple[int, int]:
    """The largest size with `size`'s aspect ratio that fits in `box` (never 0 on a side)."""
    width, height = size
    scale = min(box[0] / width, box[1] / height)
    if not upscale:
        scale = min(scale, 1.0)
    return (min(box[0], max(1, round(width * scale))), min(box[1], max(1, round(height * scale))))


def _check_side(value: Any, name: str) -> int:
    try:
        side = int(value)
    except (TypeError, ValueError):
        side = 0
    if not 1 <= side <= MAX_OUTPUT_SIDE:
        raise InvalidInput(f"{name} must be between 1 and {MAX_OUTPUT_SIDE}.",
                           details={name: [f"1..{MAX_OUTPUT_SIDE}"]})
    return side


# Presets --------------------------------------------------------------------------------------

def resize_targets(width: int = 1200, height: int = 1200, quality: int = 90,
                   format: str = "JPEG") -> list[Target]:
    """Fit within width x height on a white canvas of exactly that size (the product image)."""
    box = (_check_side(width, "width"), _check_side(height, "height"))
    return [Target(f"resize_{box[0]}x{box[1]}", box, canvas=True, upscale=True,
                   quality=check_quality(quality), format=normalize_format(format))]


def optimize_targets(max_width: int = 800, quality: int = 85, format: str = "JPEG") -> list[Target]:
    """At most `max_width` wide, aspect kept, never enlarged (web display copy)."""
    width = _check_side(max_width, "max_width")
    return [Target(f"optimize_{width}", (width, 10 * MAX_OUTPUT_SIDE), quality=check_quality(quality),
                   format=normalize_format(format))]


def thumbnail_targets(size: int = 150, quality: int = 80, format: str = "JPEG") -> list[Target]:
    """Fit within size x size, aspect kept, no padding, never enlarged (Pillow's thumbnail)."""
    side = _check_side(size, "size")
    return [Target(f"thumbnail_{side}", (side, side), quality=check_quality(quality),
                   format=normalize_format(format))]


def convert_targets(format: str = "JPEG", quality: int = 90) -> list[Target]:
    """Same pixels in another format (JPEG, PNG, WebP, AVIF when supported)."""
    fmt = normalize_format(format)
    return [Target(f"convert_{fmt.lower()}", (0, 0), quality=check_quality(quality), format=fmt,
                   keep_size=True)]


def variants_targets(sizes: Sequence[int] = DEFAULT_VARIANT_SIZES, quality: int = 90,
                     format: str = "JPEG", square: bool = True) -> list[Target]:
    """Several sizes from one decode; `square` pads each to size x size on white."""
    if not sizes:
        raise InvalidInput("sizes must not be empty.", details={"sizes": ["at least one size"]})
    fmt, q = normalize_format(format), check_quality(quality)
    return [Target(f"{side}x{side}" if square else f"max_{side}", (side, side), canvas=square,
                   upscale=square, quality=q, format=fmt)
            for side in (_check_side(s, "sizes") for s in sizes)]


PRESETS: dict[str, Callable[..., list[Target]]] = {
    "resize": resize_targets,
    "optimize": optimize_targets,
    "thumbnail": thumbnail_targets,
    "convert": convert_targets,
    "variants": variants_targets,
}


def plan(operations: Iterable[Mapping[str, Any]]) -> list[Target]:
    """Turn [{"op": "resize", "width": 1200, ...}, ...] into targets, duplicates merged; raises InvalidInput."""
    targets: list[Target] = []
    for index, spec in enumerate(operations):
        options = dict(spec)
        name = options.pop("op", None)
        preset = PRESETS.get(name)
        if preset is None:
            raise InvalidInput(f"Unknown operation {name!r}.",
                               details={f"operations.{index}.op": [f"one of {', '.join(PRESETS)}"]})
        try:
            targets.extend(preset(**options))
        except TypeError as exc:  # an option the preset does not take
            raise InvalidInput(f"Invalid options for {name}: {exc}",
                               details={f"operations.{index}": [str(exc)]}) from exc
    targets = list(dict.fromkeys(targets))  # the same output asked twice is made (and sent) once
    if not targets:
        raise InvalidInput("At least one operation is required.", details={"operations": ["empty"]})
    if len(targets) > MAX_TARGETS:
        raise InvalidInput(f"At most {MAX_TARGETS} outputs per image.", details={"operations": ["too many"]})
    return targets


# The pass ---------------------------------------------------------------------------------------

def render(data: bytes, targets: Sequence[Target], *, watermark: Watermark | None = None,
           limits: ImageLimits = DEFAULT_LIMITS) -> ImageResult:
    """Decode `data` once and produce every target.

    Raises InvalidInput, PayloadTooLarge or UnsupportedMedia (see decode.decode), OutputTooLarge
    when the outputs would pass the per-image pixel or byte quota (checked before any is rendered,
    and again as each is encoded).
    """
    if watermark is not None:
        watermark.validate()
    targets = list(dict.fromkeys(targets))  # the same output asked twice is made (and sent) once

    def draft_box(size: tuple[int, int]) -> tuple[int, int] | None:
        if any(t.keep_size for t in targets):
            return None  # a full-size output needs every pixel
        sizes = [fit_size(size, t.box, t.upscale) for t in targets]
        return max(sizes, key=lambda s: s[0] * s[1])

    image, source = decode(data, limits, draft_box=draft_box)
    sizes = [(source.width, source.height) if t.keep_size
             else fit_size((source.width, source.height), t.box, t.upscale) for t in targets]
    check_output_pixels(sum(_output_pixels(t, size) for t, size in zip(targets, sizes, strict=True)), limits)
    stream = _cascade(image, sizes)
    del image  # the cascade drops the decoded image as soon as no later size needs it
    outputs: list[Output | None] = [None] * len(targets)
    for index, im in stream:  # encode each size as it comes: peak memory stays near two images
        target = targets[index]
        if target.canvas:
            im = on_canvas(im, target.box, WHITE)
        if watermark is not None:
            im = apply_watermark(im, watermark)
        outputs[index] = encode(im, target.name, target.format, target.quality)
        check_output_bytes(sum(len(o.data) for o in outputs if o is not None), limits)
    return ImageResult(source=source, outputs=tuple(o for o in outputs if o is not None))


def _output_pixels(target: Target, size: tuple[int, int]) -> int:
    box = target.box if target.canvas else size  # a canvas output is the whole box
    return box[0] * box[1]


def _cascade(image: Image.Image, sizes: Sequence[tuple[int, int]]) -> Iterator[tuple[int, Image.Image]]:
    """Yield (index, resized) largest first, each size made from the previous one when shrinking.

    An enlargement comes from the decoded image (so does the next size after it). References are
    dropped as soon as they are no longer needed, so a caller that consumes the stream holds only
    the current and the next image.
    """
    order = sorted(range(len(sizes)), key=lambda i: sizes[i][0] * sizes[i][1], reverse=True)
    grows = [size[0] > image.width or size[1] > image.height for size in sizes]
    last_base_use = max((pos for pos, i in enumerate(order) if grows[i]), default=-1)
    base: Image.Image | None = image
    current = image
    del image
    for pos, index in enumerate(order):
        size = sizes[index]
        source = base if grows[index] and base is not None else current
        resized = source if source.size == size else source.resize(size, _FILTER)
        if not grows[index]:
            current = resized
        if pos >= last_base_use:
            base = None
        del source
        yield index, resized
        del resized


# Public operations ------------------------------------------------------------------------------

def resize(data: bytes, width: int = 1200, height: int = 1200, *, quality: int = 90,
           format: str = "JPEG", watermark: Watermark | None = None,
           limits: ImageLimits = DEFAULT_LIMITS) -> ImageResult:
    """Fit within width x height on a white canvas of exactly that size."""
    return render(data, resize_targets(width, height, quality, format), watermark=watermark, limits=limits)


def optimize(data: bytes, max_width: int = 800, *, quality: int = 85, format: str = "JPEG",
             watermark: Watermark | None = None, limits: ImageLimits = DEFAULT_LIMITS) -> ImageResult:
    """Shrink to at most `max_width` wide (never enlarge) for web display."""
    return render(data, optimize_targets(max_width, quality, format), watermark=watermark, limits=limits)


def thumbnail(data: bytes, size: int = 150, *, quality: int = 80, format: str = "JPEG",
              watermark: Watermark | None = None, limits: ImageLimits = DEFAULT_LIMITS) -> ImageResult:
    """Fit within size x size (no padding, never enlarged)."""
    return render(data, thumbnail_targets(size, quality, format), watermark=watermark, limits=limits)


def convert(data: bytes, format: str = "JPEG", *, quality: int = 90,
            watermark: Watermark | None = None, limits: ImageLimits = DEFAULT_LIMITS) -> ImageResult:
    """Re-encode at the same size in `format`; transparency is flattened on white for JPEG only."""
    return render(data, convert_targets(format, quality), watermark=watermark, limits=limits)


def variants(data: bytes, sizes: Sequence[int] = DEFAULT_VARIANT_SIZES, *, quality: int = 90,
             format: str = "JPEG", square: bool = True, watermark: Watermark | None = None,
             limits: ImageLimits = DEFAULT_LIMITS) -> ImageResult:
    """Several sizes in one decode (square white canvases by default)."""
    return render(data, variants_targets(sizes, quality, format, square), watermark=watermark,
                  limits=limits)


def process(data: bytes, operations: Iterable[Mapping[str, Any]], *,
            watermark: Watermark | None = None, limits: ImageLimits = DEFAULT_LIMITS) -> ImageResult:
    """Run several operations on one decode, e.g. [{"op": "variants", "sizes": [600, 300]}]."""
    return render(data, plan(operations), watermark=watermark, limits=limits)
