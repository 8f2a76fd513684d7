"""Hostile inputs get the right typed error (status and code) before they can cost memory or CPU."""
from __future__ import annotations

import pickle

import pytest
from PIL import Image

from app.errors import InvalidInput, PayloadTooLarge, UnsupportedMedia
from app.imaging import ImageLimits, resize, sniff_format, variants
from tests.images.imagegen import encode, png_header_only, textured


def test_declared_huge_png_is_refused_before_decoding():
    bomb = png_header_only(100_000, 100_000)  # 10^10 pixels declared in ~100 bytes
    assert len(bomb) < 200
    with pytest.raises(PayloadTooLarge) as info:
        resize(bomb)
    assert info.value.status == 413 and info.value.code == "payload_too_large"


def test_bomb_just_over_the_pixel_limit_is_refused():
    with pytest.raises(PayloadTooLarge, match="pixels"):
        resize(png_header_only(8000, 7000))  # 56 MP > the 50 MP default


def test_real_flat_image_that_compresses_tiny_is_a_bomb_under_tight_limits():
    flat = encode(Image.new("L", (4000, 4000), 0), "PNG", compress_level=9)  # 16 MP in ~20 KB
    assert len(flat) < 64_000
    with pytest.raises(PayloadTooLarge):
        resize(flat, limits=ImageLimits(max_pixels=4_000_000))


def test_pillow_global_pixel_cap_is_restored_after_a_call():
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(PayloadTooLarge):
        resize(png_header_only(100_000, 100_000))
    assert Image.MAX_IMAGE_PIXELS == before


def test_thirty_thousand_pixel_wide_image_is_refused():
    wide = encode(Image.new("RGB", (30_000, 4), (200, 10, 10)), "PNG")
    with pytest.raises(PayloadTooLarge, match="side"):
        resize(wide)


def test_too_many_bytes_is_a_413():
    data = encode(textured(300, 200), "JPEG")
    with pytest.raises(PayloadTooLarge):
        resize(data, limits=ImageLimits(max_bytes=len(data) - 1))


def test_truncated_jpeg_is_a_400(photo_jpeg):
    with pytest.raises(InvalidInput, match="truncated or corrupt") as info:
        resize(photo_jpeg[: len(photo_jpeg) // 2])
    assert info.value.status == 400


def test_corrupt_png_body_is_a_400():
    data = bytearray(encode(textured(200, 200), "PNG"))
    data[60:400] = b"\x00" * 340  # smash the IDAT stream (and its CRC)
    with pytest.raises(InvalidInput):
        resize(bytes(data))


def test_header_only_jpeg_is_a_400():
    with pytest.raises(InvalidInput):
        resize(b"\xff\xd8\xff\xe0" + b"\x00" * 20)


@pytest.mark.parametrize("data", [b"%PDF-1.7 not an image", b"<svg xmlns='http://www.w3.org/2000/svg'/>",
                                  b"GIF90a nope", b"\x00" * 64])
def test_non_images_are_a_415(data):
    with pytest.raises(UnsupportedMedia) as info:
        resize(data)
    assert info.value.status == 415


def test_empty_body_is_a_400():
    with pytest.raises(InvalidInput):
        sniff_format(b"")


def test_png_with_a_jpeg_name_is_sniffed_as_png():
    data = encode(textured(120, 90), "PNG")
    assert sniff_format(data) == "PNG"
    assert variants(data, (100,)).source.format == "PNG"


@pytest.mark.parametrize("error", [
    InvalidInput("bad", details={"field": ["reason"]}),
    PayloadTooLarge("too big", details={"maxPixels": 1}),
    UnsupportedMedia("nope"),
])
def test_typed_errors_survive_pickling(error):
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (copy.status, copy.code, copy.message, copy.details) == (error.status, error.code, error.message,
                                                                     error.details)
