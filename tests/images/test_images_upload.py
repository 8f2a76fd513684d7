"""POST /api/magento/products/{sku}/images against the Magento sandbox over HTTP."""
from __future__ import annotations

import base64
import io

import httpx
import pytest
from PIL import Image

from app.adapters.magento import get_magento_client
from app.errors import UpstreamHTTPError


def _jpeg(size=(640, 480)) -> str:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buf, "JPEG")
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture
def shop_app(make_app, sandbox_url):
    return make_app(MAGENTO_URL=sandbox_url, MAGENTO_USERNAME="admin", MAGENTO_PASSWORD="sandbox123")


def _a_sku(sandbox_url: str) -> str:
    token = httpx.post(f"{sandbox_url}/rest/V1/integration/admin/token",
                       json={"username": "admin", "password": "sandbox123"}).json()
    page = httpx.get(f"{sandbox_url}/rest/V1/products", params={"searchCriteria[pageSize]": "1"},
                     headers={"Authorization": f"Bearer {token}"}).json()
    return page["items"][0]["sku"]


def test_upload_processes_and_adds_a_gallery_entry(shop_app, sandbox_url, auth):
    sku = _a_sku(sandbox_url)
    resp = shop_app.test_client().post(f"/api/magento/products/{sku}/images", headers=auth("admin"),
                                       json={"image": _jpeg(), "label": "Front"})
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["entryId"].isdigit() and (body["width"], body["height"]) == (1200, 1200)
    assert body["source"]["width"] == 640


def test_unknown_sku_is_magentos_404_passed_through(shop_app, auth):
    resp = shop_app.test_client().post("/api/magento/products/NO-SUCH-SKU/images", headers=auth("admin"),
                                       json={"image": _jpeg()})
    assert resp.status_code == 404
    assert "product that was requested doesn't exist" in resp.get_json()["message"]


def test_hostile_upload_is_refused_before_magento(shop_app, sandbox_url, auth):
    sku = _a_sku(sandbox_url)
    resp = shop_app.test_client().post(f"/api/magento/products/{sku}/images", headers=auth("admin"),
                                       json={"image": base64.b64encode(b"<?php echo 1; ?>").decode()})
    assert resp.status_code == 415 and resp.get_json()["error"] == "unsupported_media_type"
    stats = httpx.get(f"{sandbox_url}/__sandbox/stats").json()["routes"]
    assert not any("media" in route for route in stats)


def test_operator_may_not_upload(shop_app, auth):
    resp = shop_app.test_client().post("/api/magento/products/X/images", headers=auth("operator"),
                                       json={"image": _jpeg()})
    assert resp.status_code == 403


def test_sandbox_refuses_bad_media_content_with_400(shop_app, sandbox_url):
    sku = _a_sku(sandbox_url)
    entry = {"media_type": "image", "label": "x", "position": 1, "disabled": False, "types": ["image"],
             "content": {"base64_encoded_data": base64.b64encode(b"not a jpeg").decode(),
                         "type": "image/jpeg", "name": "x.jpg"}}
    with shop_app.app_context(), pytest.raises(UpstreamHTTPError) as err:
        get_magento_client().upload_media(sku, entry)
    assert err.value.status == 400
