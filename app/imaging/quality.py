"""Image quality measures (PSNR) used by tests and the benchmark to hold the fast path honest."""
from __future__ import annotations

import math

from PIL import Image, ImageChops, ImageStat


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio in dB over all channels of two same-size 8-bit images."""
    if a.size != b.size:
        raise ValueError(f"sizes differ: {a.size} vs {b.size}")
    a, b = a.convert("RGB"), b.convert("RGB")
    diff = ImageChops.difference(a, b)
    # mean of squared differences per band, averaged over bands
    mse = sum(ImageStat.Stat(diff).sum2) / (a.width * a.height * 3)
    return math.inf if mse == 0 else 10 * math.log10(255 ** 2 / mse)
