"""/api/dashboard: the original's envelope, cached lists, live health, and clear outages (the stats are a
snapshot: tests/snapshots)."""
from __future__ import annotations

import time

from tests.magento_api.conftest import FAST_FAIL


def _envelope(resp) -> dict:
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["success"] is True and isinstance(body["cached"], bool) and isinstance(body["timestamp"], str)
    return body


def test_recent_lists_are_newest_first_with_the_total(mclient, auth):
    for kind in ("orders", "products", "customers"):
        body = _envelope(mclient.get(f"/api/dashboard/{kind}?limit=5", headers=auth("viewer")))
        items = body["data"]["items"]
        assert len(items) == 5 and body["data"]["total"] >= 5, kind
        dates = [i["created_at"] for i in items]
        assert dates == sorted(dates, reverse=True), kind
    assert mclient.get("/api/dashboard/orders?limit=0", headers=auth("viewer")).status_code == 400


def test_health_is_never_cached(mclient, auth, sandbox_calls):
    for _ in range(2):
        body = _envelope(mclient.get("/api/dashboard/health", headers=auth("viewer")))
        assert body["cached"] is False and body["data"]["magento"]["status"] == "up"
    assert sandbox_calls("GET /V1/store/storeConfigs") == 2


def test_magento_503_gives_a_503_envelope_quickly(magento_app, auth, fault):
    client = magento_app(**FAST_FAIL).test_client()
    fault(status=503)
    for path in ("orders", "health"):  # stats: a snapshot (tests/snapshots)
        started = time.monotonic()
        resp = client.get(f"/api/dashboard/{path}", headers=auth("viewer"))
        assert resp.status_code == 503 and resp.get_json()["error"] == "upstream_unavailable", path
        assert time.monotonic() - started < FAST_FAIL["MAGENTO_RETRY_MAX_TIME"] + 1


def test_a_hanging_magento_gives_a_504_envelope_within_the_budget(magento_app, auth, fault):
    client = magento_app(**FAST_FAIL).test_client()
    client.get("/api/dashboard/health", headers=auth("viewer"))  # token fetched before the hang
    fault(hang=True)
    started = time.monotonic()
    resp = client.get("/api/dashboard/products", headers=auth("viewer"))
    assert resp.status_code == 504 and resp.get_json()["error"] == "upstream_timeout"
    assert time.monotonic() - started < FAST_FAIL["MAGENTO_RETRY_MAX_TIME"] + 1


def test_the_magento_health_check_is_registered_and_not_critical(mclient, auth):
    resp = mclient.get("/api/health/detailed", headers=auth("viewer"))
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and '"magento' in text, text
