"""Fixtures for the image tests (inputs are generated, never stored)."""
from __future__ import annotations

import pytest
from PIL import Image

from tests.images.imagegen import encode, textured
from workers import pool as pool_module


@pytest.fixture
def fresh_pool():
    """A process-wide image pool built from this test's app settings, stopped afterwards."""
    pool_module.reset_for_tests()
    yield
    pool_module.reset_for_tests()


@pytest.fixture(scope="session")
def photo_jpeg() -> bytes:
    """A 1600x1200 textured JPEG (exercises the draft fast path for outputs <= 800 wide)."""
    return encode(textured(1600, 1200), "JPEG", quality=90)


@pytest.fixture(scope="session")
def rotated_jpeg() -> bytes:
    """Stored 400x200, left half red, right half blue, EXIF orientation 6 (display rotated 90 CW)."""
    im = Image.new("RGB", (400, 200), (255, 0, 0))
    im.paste((0, 0, 255), (200, 0, 400, 200))
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(im, "JPEG", quality=95, exif=exif.tobytes())


@pytest.fixture(scope="session")
def alpha_png() -> bytes:
    """300x300 transparent with an opaque black square in the middle."""
    im = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    im.paste((0, 0, 0, 255), (100, 100, 200, 200))
    return encode(im, "PNG")
