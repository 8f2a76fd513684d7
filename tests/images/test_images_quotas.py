"""Output quotas: per image (pixels, bytes, duplicates merged), per batch and for IMAGE_OUTPUT_DIR on disk;
and image admission through the API (503 image_queue_full with Retry-After, before the body is read)."""
from __future__ import annotations

import base64
import time
from dataclasses import replace

import pytest

from app.imaging import variants
from app.services.images.batch import process_paths
from app.services.images.service import get_images
from tests.images.imagegen import encode, textured
from workers.pool import ImagePool, get_image_pool

URL = "/api/images/process"
pytestmark = pytest.mark.usefixtures("fresh_pool")


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    return encode(textured(800, 600), "JPEG", quality=90)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def with_limits(app, **limits: int):
    """`app` with some of limits.py's image bounds lowered (constants, not settings)."""
    service = get_images(app)
    app.extensions["images"] = replace(service, limits=replace(service.limits, **limits))
    return app


def test_duplicate_sizes_are_made_and_sent_once(client, auth, jpeg):
    assert [o.name for o in variants(jpeg, [300] * 16 + [150]).outputs] == ["300x300", "150x150"]
    resp = client.post(URL, json={"image": b64(jpeg), "sizes": [300] * 16}, headers=auth("operator"))
    assert resp.status_code == 200 and len(resp.get_json()["outputs"]) == 1


def test_outputs_over_the_pixel_quota_get_413_before_any_is_rendered(make_app, auth, jpeg):
    client = with_limits(make_app(), max_output_pixels=1_000_000).test_client()
    resp = client.post(URL, json={"image": b64(jpeg), "sizes": [900, 600]}, headers=auth("operator"))
    assert resp.status_code == 413
    body = resp.get_json()
    assert body["error"] == "image_output_too_large"
    assert body["details"] == {"outputPixels": 900 * 900 + 600 * 600, "maxOutputPixels": 1_000_000}
    ok = client.post(URL, json={"image": b64(jpeg), "sizes": [900]}, headers=auth("operator"))
    assert ok.status_code == 200  # 810,000 pixels fit


def test_outputs_over_the_byte_quota_get_413(make_app, auth, jpeg):
    client = with_limits(make_app(), max_output_bytes=20_000).test_client()
    resp = client.post(URL, json={"image": b64(jpeg), "sizes": [800, 400], "format": "PNG"},
                       headers=auth("operator"))
    assert resp.status_code == 413 and resp.get_json()["error"] == "image_output_too_large"


def test_a_batch_over_its_disk_quota_is_refused_before_anything_is_written(make_app, auth, jpeg, tmp_path):
    client = make_app(IMAGE_OUTPUT_DIR=str(tmp_path), IMAGE_BATCH_MAX_BYTES=1024 ** 2).test_client()
    body = {"images": [{"name": "a.jpg", "data": b64(jpeg)}, {"name": "b.jpg", "data": b64(jpeg)}],
            "sizes": [1200, 600]}
    resp = client.post("/api/images/batch", json=body, headers=auth("operator"))
    assert resp.status_code == 413, resp.get_json()
    assert resp.get_json()["error"] == "image_batch_too_large"
    assert resp.get_json()["details"]["estimatedBytes"] > 1024 ** 2
    assert list(tmp_path.iterdir()) == []  # nothing staged


def test_a_batch_that_would_fill_the_output_directory_gets_507(make_app, auth, jpeg, tmp_path):
    old = tmp_path / "batch-old" / "output"
    old.mkdir(parents=True)
    (old / "big.jpg").write_bytes(b"\0" * 4 * 1024 ** 2)
    client = make_app(IMAGE_OUTPUT_DIR=str(tmp_path), IMAGE_OUTPUT_MAX_BYTES=4 * 1024 ** 2 + 100_000).test_client()
    body = {"images": [{"name": "a.jpg", "data": b64(jpeg)}], "sizes": [300]}
    resp = client.post("/api/images/batch", json=body, headers=auth("operator"))
    assert resp.status_code == 507, resp.get_json()
    details = resp.get_json()["details"]
    assert resp.get_json()["error"] == "image_storage_full" and details["usedBytes"] == 4 * 1024 ** 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch-old"]


def test_a_batch_stops_writing_at_its_quota_of_real_bytes(tmp_path, jpeg):
    inputs = []
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        (tmp_path / name).write_bytes(jpeg)
        inputs.append(tmp_path / name)
    pool = ImagePool(1)
    try:
        one = sum(len(o.data) for o in variants(jpeg, [300, 150]).outputs)
        results = process_paths(inputs, tmp_path / "out", (300, 150), pool=pool, max_output_bytes=2 * one + 10)
    finally:
        pool.stop()
    assert [r.error for r in results].count(None) == 2
    assert [r.error for r in results if r.error] == ["image_batch_too_large"]
    assert len(list((tmp_path / "out").iterdir())) == 4  # two files' outputs, nothing of the third


def test_an_image_request_beyond_the_worker_admission_gets_503_at_once(client, auth, jpeg):
    pool = get_image_pool()
    held = [pool.admission() for _ in range(pool.max_admitted)]
    for place in held:
        place.__enter__()
    try:
        started = time.monotonic()
        resp = client.post(URL, json={"image": b64(jpeg)}, headers=auth("operator"))
        assert time.monotonic() - started < 1.0
        assert resp.status_code == 503 and resp.get_json()["error"] == "image_queue_full"
        assert resp.headers["Retry-After"] == "2"
    finally:
        for place in held:
            place.__exit__(None, None, None)
    assert client.post(URL, json={"image": b64(jpeg)}, headers=auth("operator")).status_code == 200
