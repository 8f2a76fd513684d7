"""The pure image operations: sizes, modes, orientation, metadata, background, formats, quality."""
from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from app.errors import InvalidInput, UnsupportedMedia
from app.imaging import (
    DEFAULT_LIMITS,
    Watermark,
    convert,
    optimize,
    output_formats,
    process,
    resize,
    thumbnail,
    variants,
)
from app.imaging.decode import decode
from app.imaging.operations import _cascade, fit_size
from app.imaging.quality import psnr
from tests.images.imagegen import encode, swapped_rg_profile, textured


def opened(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def test_resize_fits_on_exact_white_canvas(photo_jpeg):
    result = resize(photo_jpeg)
    (out,) = result.outputs
    im = opened(out.data)
    assert (im.format, im.size, im.mode) == ("JPEG", (1200, 1200), "RGB")
    assert (out.width, out.height, out.format) == (1200, 1200, "JPEG")
    # 4:3 source -> 1200x900 centred: 150-pixel white bands above and below.
    assert all(c >= 250 for c in im.getpixel((600, 20)))
    assert all(c >= 250 for c in im.getpixel((600, 1180)))
    assert result.source.format == "JPEG" and (result.source.width, result.source.height) == (1600, 1200)


def test_resize_custom_box_and_quality_changes_size(photo_jpeg):
    low = resize(photo_jpeg, 400, 300, quality=40).outputs[0]
    high = resize(photo_jpeg, 400, 300, quality=95).outputs[0]
    assert opened(low.data).size == (400, 300)
    assert len(low.data) < len(high.data)


def test_optimize_limits_width_and_never_enlarges(photo_jpeg):
    out = optimize(photo_jpeg).outputs[0]
    assert opened(out.data).size == (800, 600)
    small = encode(textured(400, 300), "JPEG")
    assert opened(optimize(small).outputs[0].data).size == (400, 300)


def test_thumbnail_fits_150_box_keeping_aspect():
    data = encode(textured(1000, 500), "PNG")
    out = thumbnail(data).outputs[0]
    im = opened(out.data)
    assert im.size == (150, 75) and im.format == "JPEG"


@pytest.mark.parametrize("fmt", output_formats())
def test_convert_writes_each_supported_format_at_same_size(photo_jpeg, fmt):
    out = convert(photo_jpeg, fmt).outputs[0]
    im = opened(out.data)
    assert im.format == fmt and im.size == (1600, 1200)
    assert out.media_type == f"image/{fmt.lower()}"


def test_convert_rejects_unknown_format(photo_jpeg):
    with pytest.raises(InvalidInput):
        convert(photo_jpeg, "BMP")


def test_variants_produce_every_size_in_one_pass(photo_jpeg):
    result = variants(photo_jpeg, (1200, 600, 300, 150))
    assert [o.name for o in result.outputs] == ["1200x1200", "600x600", "300x300", "150x150"]
    assert [opened(o.data).size for o in result.outputs] == [(1200, 1200), (600, 600), (300, 300), (150, 150)]


def test_exif_orientation_is_applied(rotated_jpeg):
    result = convert(rotated_jpeg, "PNG")
    im = opened(result.outputs[0].data).convert("RGB")
    assert im.size == (200, 400)  # stored 400x200, orientation 6
    top, bottom = im.getpixel((100, 50)), im.getpixel((100, 350))
    assert top[0] > 200 and top[2] < 60  # the stored left (red) half is on top
    assert bottom[2] > 200 and bottom[0] < 60
    assert result.source.orientation == 6 and (result.source.width, result.source.height) == (200, 400)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_metadata_is_stripped(fmt):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "editor 1.0"  # Software
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(textured(640, 480), "JPEG", exif=exif.tobytes(), icc_profile=icc,
                  xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>secret</x:xmpmeta>")
    assert "exif" in opened(data).info  # the input really carries it
    out = convert(data, fmt).outputs[0]
    im = opened(out.data)
    assert not {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp"} & set(im.info)
    assert len(im.getexif()) == 0
    assert b"SecretCam" not in out.data and b"secret" not in out.data


def test_alpha_is_flattened_on_white_for_jpeg(alpha_png):
    im = opened(convert(alpha_png, "JPEG").outputs[0].data)
    assert im.mode == "RGB"
    assert all(c >= 250 for c in im.getpixel((10, 10)))  # transparent -> white, not black
    assert all(c <= 10 for c in im.getpixel((150, 150)))


def test_alpha_is_kept_for_png_and_webp(alpha_png):
    for fmt in ("PNG", "WEBP"):
        im = opened(convert(alpha_png, fmt).outputs[0].data)
        assert im.mode == "RGBA" and im.getpixel((10, 10))[3] == 0


def test_palette_with_transparency_goes_white_on_canvas():
    im = Image.new("P", (100, 50), 0)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    im.paste(1, (25, 0, 75, 50))
    data = encode(im, "PNG", transparency=0)
    out = opened(resize(data, 200, 200).outputs[0].data)
    assert all(c >= 250 for c in out.getpixel((2, 100)))  # transparent palette index -> white
    r, g, _ = out.getpixel((100, 100))
    assert r > 200 and g < 50


def test_cmyk_jpeg_becomes_rgb():
    data = encode(Image.new("CMYK", (120, 80), (0, 255, 255, 0)), "JPEG", quality=95)
    result = convert(data, "JPEG")
    im = opened(result.outputs[0].data)
    assert result.source.mode == "CMYK" and im.mode == "RGB"
    r, g, b = im.getpixel((60, 40))
    assert r > 200 and g < 60 and b < 60


def test_sixteen_bit_grey_is_scaled_not_clipped():
    data = encode(Image.new("I;16", (64, 64), 32768), "PNG")
    im = opened(convert(data, "PNG").outputs[0].data)
    assert im.mode == "RGB"
    assert 120 <= im.getpixel((5, 5))[0] <= 136  # half of 65535 -> mid grey (clipping gives 255)


def test_animated_gif_keeps_first_frame():
    frames = [Image.new("RGB", (60, 60), c) for c in ((255, 0, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    result = convert(buffer.getvalue(), "PNG")
    r, _, b = opened(result.outputs[0].data).convert("RGB").getpixel((30, 30))
    assert result.source.animated and r > 200 and b < 50


def test_non_srgb_profile_is_converted_to_srgb():
    data = encode(Image.new("RGB", (32, 32), (255, 0, 0)), "PNG", icc_profile=swapped_rg_profile())
    result = convert(data, "PNG")
    r, g, _ = opened(result.outputs[0].data).getpixel((16, 16))
    assert result.source.icc_profile == "Swapped RG test"
    assert g > 200 and r < 60  # the tagged "red" is sRGB green


def test_png_bytes_are_decoded_as_png_whatever_the_caller_claims(alpha_png):
    result = resize(alpha_png, 100, 100)
    assert result.source.format == "PNG"


def test_fast_path_matches_one_step_lanczos():
    data = encode(textured(2400, 1800, seed=7), "JPEG", quality=90)
    sizes = [fit_size((2400, 1800), (s, s), True) for s in (1200, 600, 300, 150)]
    drafted, _ = decode(data, DEFAULT_LIMITS, draft_box=lambda size: sizes[0])
    assert drafted.size == (1200, 900)  # DCT-scaled decode at 1/2
    full = Image.open(io.BytesIO(data)).convert("RGB")
    for fast, size in zip(dict(sorted(_cascade(drafted, sizes))).values(), sizes, strict=True):
        assert psnr(fast, full.resize(size, Image.Resampling.LANCZOS)) >= 45.0


def test_text_watermark_marks_the_corner(photo_jpeg):
    plain = opened(resize(photo_jpeg, 400, 400).outputs[0].data)
    marked = opened(resize(photo_jpeg, 400, 400, watermark=Watermark(text="TECHNO", opacity=1.0)).outputs[0].data)
    box = (250, 330, 400, 400)
    assert psnr(plain.crop(box), marked.crop(box)) < 30
    assert psnr(plain.crop((0, 0, 150, 150)), marked.crop((0, 0, 150, 150))) > 40


def test_image_watermark_and_validation(photo_jpeg, alpha_png):
    out = resize(photo_jpeg, 300, 300, watermark=Watermark(image=alpha_png, position="center"))
    assert opened(out.outputs[0].data).size == (300, 300)
    with pytest.raises(InvalidInput):
        resize(photo_jpeg, watermark=Watermark(text="x", position="middle"))


@pytest.mark.parametrize("ops", [
    [{"op": "explode"}],
    [{"op": "resize", "width": 0}],
    [{"op": "resize", "width": 99999}],
    [{"op": "resize", "quality": 101}],
    [{"op": "variants", "sizes": []}],
    [{"op": "thumbnail", "colour": "red"}],
    [],
])
def test_invalid_operations_are_rejected(photo_jpeg, ops):
    with pytest.raises(InvalidInput):
        process(photo_jpeg, ops)


def test_process_runs_several_operations_on_one_decode(photo_jpeg):
    result = process(photo_jpeg, [{"op": "resize", "width": 600, "height": 600},
                                  {"op": "thumbnail"}, {"op": "convert", "format": "webp"}])
    assert [o.name for o in result.outputs] == ["resize_600x600", "thumbnail_150", "convert_webp"]
    assert [(o.width, o.height) for o in result.outputs] == [(600, 600), (150, 112), (1600, 1200)]


def test_avif_unavailable_is_a_415(monkeypatch, photo_jpeg):
    monkeypatch.setattr("app.imaging.encode.output_formats", lambda: ("JPEG", "PNG", "WEBP"))
    with pytest.raises(UnsupportedMedia):
        convert(photo_jpeg, "AVIF")
