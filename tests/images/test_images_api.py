"""POST /api/images/process: JSON and multipart in, JSON or zip out; hostile input -> 4xx envelope."""
from __future__ import annotations

import base64
import io
import zipfile

import pytest
from PIL import Image

from app.services.health import get_health
from tests.images.imagegen import encode, png_header_only, textured

URL = "/api/images/process"
pytestmark = pytest.mark.usefixtures("fresh_pool")


@pytest.fixture
def jpeg() -> bytes:
    return encode(textured(800, 600), "JPEG", quality=90)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_json_base64_default_is_the_1200_product_image(client, auth, jpeg):
    resp = client.post(URL, json={"image": b64(jpeg)}, headers=auth("operator"))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["success"] and body["source"]["format"] == "JPEG"
    (out,) = body["outputs"]
    assert (out["width"], out["height"], out["mediaType"]) == (1200, 1200, "image/jpeg")
    assert Image.open(io.BytesIO(base64.b64decode(out["data"]))).size == (1200, 1200)


def test_json_operations_and_sizes(client, auth, jpeg):
    resp = client.post(URL, json={"image": "data:image/jpeg;base64," + b64(jpeg), "sizes": [600, 150],
                                  "format": "webp"}, headers=auth("operator"))
    assert [(o["name"], o["format"]) for o in resp.get_json()["outputs"]] == [("600x600", "WEBP"),
                                                                             ("150x150", "WEBP")]
    resp = client.post(URL, json={"image": b64(jpeg), "operations": [{"op": "thumbnail"}, {"op": "optimize"}],
                                  "watermark": {"text": "TECHNO"}}, headers=auth("operator"))
    assert [(o["width"], o["height"]) for o in resp.get_json()["outputs"]] == [(150, 112), (800, 600)]


def test_multipart_upload_with_zip_response(client, auth, jpeg):
    resp = client.post(URL, data={"file": (io.BytesIO(jpeg), "chair.jpg", "image/jpeg"), "sizes": "300,150",
                                  "response": "zip"},
                       content_type="multipart/form-data", headers=auth("operator"))
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(resp.data)).namelist()
    assert names == ["chair_300x300.jpg", "chair_150x150.jpg"]


def test_png_declared_as_jpeg_is_processed_as_png(client, auth):
    png = encode(textured(300, 200), "PNG")
    resp = client.post(URL, data={"file": (io.BytesIO(png), "photo.jpg", "image/jpeg")},
                       content_type="multipart/form-data", headers=auth("operator"))
    assert resp.status_code == 200 and resp.get_json()["source"]["format"] == "PNG"


@pytest.mark.parametrize("payload, status, code", [
    (lambda jpeg: png_header_only(100_000, 100_000), 413, "payload_too_large"),
    (lambda jpeg: jpeg[: len(jpeg) // 2], 400, "invalid_input"),
    (lambda jpeg: encode(Image.new("RGB", (30_000, 2)), "PNG"), 413, "payload_too_large"),
    (lambda jpeg: b"%PDF-1.4 hello", 415, "unsupported_media_type"),
])
def test_hostile_input_gets_an_envelope_and_the_worker_survives(client, auth, jpeg, payload, status, code):
    resp = client.post(URL, json={"image": b64(payload(jpeg))}, headers=auth("operator"))
    body = resp.get_json()
    assert resp.status_code == status, body
    assert body["success"] is False and body["error"] == code and body["message"]
    ok = client.post(URL, json={"image": b64(jpeg), "sizes": [150]}, headers=auth("operator"))
    assert ok.status_code == 200  # the worker and its pool still serve


@pytest.mark.parametrize("body, field", [
    ({"image": "not base64!!"}, "image"),
    ({}, "image"),
    ({"image": "AAAA", "quality": 0}, "quality"),
    ({"image": "AAAA", "sizes": [0]}, "sizes"),
])
def test_invalid_requests_are_400_with_field_details(client, auth, body, field):
    resp = client.post(URL, json=body, headers=auth("operator"))
    assert resp.status_code == 400
    assert field in resp.get_json()["details"]


def test_unknown_operation_is_a_400(client, auth, jpeg):
    resp = client.post(URL, json={"image": b64(jpeg), "operations": [{"op": "explode"}]}, headers=auth("operator"))
    assert resp.status_code == 400 and resp.get_json()["error"] == "invalid_input"


def test_viewer_is_forbidden_and_anonymous_unauthorized(client, auth, jpeg):
    assert client.post(URL, json={"image": b64(jpeg)}, headers=auth("viewer")).status_code == 403
    assert client.post(URL, json={"image": b64(jpeg)}).status_code == 401


def test_image_pool_health_check_is_registered(app):
    assert "image_pool" in get_health(app).checks
