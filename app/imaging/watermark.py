"""Optional watermark (text or a logo image) stamped on each output after resizing."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from app.errors import InvalidInput
from app.imaging.limits import ImageLimits

POSITIONS = ("bottom-right", "bottom-left", "top-right", "top-left", "center")
# A logo is small; refusing big ones keeps the watermark from becoming a second decode budget.
_LOGO_LIMITS = ImageLimits(max_bytes=2 * 1024 * 1024, max_pixels=4_000_000, max_side=4096)


@dataclass(frozen=True)
class Watermark:
    """`text` or `image` (encoded bytes); `scale` is the mark's width as a share of the output."""

    text: str | None = None
    image: bytes | None = None
    position: str = "bottom-right"
    opacity: float = 0.35
    scale: float = 0.25

    def validate(self) -> Watermark:
        """Raise InvalidInput for an empty or out-of-range watermark; return self."""
        problems: dict[str, list[str]] = {}
        if not (self.text and self.text.strip()) and not self.image:
            problems["watermark"] = ["text or image is required"]
        if self.text and len(self.text) > 200:
            problems["text"] = ["at most 200 characters"]
        if self.position not in POSITIONS:
            problems["position"] = [f"one of {', '.join(POSITIONS)}"]
        if not 0.0 < self.opacity <= 1.0:
            problems["opacity"] = ["between 0 (excluded) and 1"]
        if not 0.02 <= self.scale <= 1.0:
            problems["scale"] = ["between 0.02 and 1"]
        if problems:
            raise InvalidInput("The watermark is invalid.", details=problems)
        return self


@lru_cache(maxsize=4)
def _logo(data: bytes) -> Image.Image:
    from app.imaging.decode import (
        decode,  # decode imports nothing from here; keeps layers flat
    )

    im, _ = decode(data, _LOGO_LIMITS)
    return im.convert("RGBA")


def _mark(watermark: Watermark, width: int) -> Image.Image:
    target = max(8, int(width * watermark.scale))
    if watermark.image:
        logo = _logo(watermark.image)
        height = max(1, round(logo.height * target / logo.width))
        mark = logo.resize((target, height), Image.Resampling.LANCZOS)
    else:
        text = (watermark.text or "").strip()
        font = ImageFont.load_default(size=max(8, target // max(4, len(text))))
        left, top, right, bottom = font.getbbox(text)
        mark = Image.new("RGBA", (int(right - left) + 4, int(bottom - top) + 4), (0, 0, 0, 0))
        # White text with a dark outline stays readable on light and dark products alike.
        ImageDraw.Draw(mark).text((2 - left, 2 - top), text, font=font, fill=(255, 255, 255, 255),
                                  stroke_width=1, stroke_fill=(0, 0, 0, 255))
    alpha = mark.getchannel("A").point(lambda a: round(a * watermark.opacity))
    mark.putalpha(alpha)
    return mark


def apply_watermark(im: Image.Image, watermark: Watermark) -> Image.Image:
    """Return `im` with the mark composited at its position (mode is kept)."""
    mark = _mark(watermark, im.width)
    if mark.width > im.width or mark.height > im.height:
        mark.thumbnail((im.width, im.height), Image.Resampling.LANCZOS)
    margin = max(0, min(im.width, im.height) // 50)
    x = {"left": margin, "right": im.width - mark.width - margin}
    y = {"top": margin, "bottom": im.height - mark.height - margin}
    if watermark.position == "center":
        xy = ((im.width - mark.width) // 2, (im.height - mark.height) // 2)
    else:
        vertical, horizontal = watermark.position.split("-")
        xy = (max(0, x[horizontal]), max(0, y[vertical]))
    out = im.convert("RGBA") if im.mode != "RGBA" else im.copy()
    out.alpha_composite(mark, dest=xy)
    return out if im.mode == "RGBA" else out.convert(im.mode)
