"""Image makers for the image tests: textured photos, forged headers, a hand-built ICC profile."""
from __future__ import annotations

import io
import random
import struct
import zlib

from PIL import Image, ImageDraw, ImageFilter


def textured(width: int, height: int, seed: int = 1) -> Image.Image:
    """A photo-like image: gradient + noise + blurred shapes (flat colour would flatter any resizer)."""
    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    im = Image.blend(base, noise, 0.3)
    draw = ImageDraw.Draw(im)
    for _ in range(30):
        x, y, r = rng.randrange(width), rng.randrange(height), rng.randrange(5, max(6, width // 6))
        draw.ellipse((x, y, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    return im.filter(ImageFilter.GaussianBlur(1.2))


def encode(im: Image.Image, fmt: str = "JPEG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares any size with a few bytes of data: the classic decompression bomb shape."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def swapped_rg_profile() -> bytes:
    """A minimal ICC v2 RGB profile whose red and green primaries are sRGB's green and red.

    A pixel (255, 0, 0) tagged with it *is* green; converting to sRGB must make it green.
    """
    def s15(v: float) -> bytes:
        return struct.pack(">i", round(v * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)

    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, int(2.2 * 256)) + b"\0\0"
    text = b"Swapped RG test\0"
    desc = (b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * 8 + b"\0\0\0" + b"\0" * 67)
    srgb_r, srgb_g, srgb_b = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
    tags = [(b"desc", desc), (b"wtpt", xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", xyz(*srgb_g)),
            (b"gXYZ", xyz(*srgb_r)), (b"bXYZ", xyz(*srgb_b)), (b"rTRC", curve), (b"gTRC", curve),
            (b"bTRC", curve)]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (struct.pack(">I", size) + b"none" + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + b"\0" * 12 + b"acsp" + b"\0" * 24 + struct.pack(">I", 0) + s15(0.9642) + s15(1.0)
              + s15(0.8249) + b"\0" * 48)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body
