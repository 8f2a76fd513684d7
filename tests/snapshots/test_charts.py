"""The seven chart endpoints and the dashboard stats: bare arrays in the frontend's row shapes, computed from
every Magento page by the snapshot job, served from the snapshot with its age and no Magento call."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.magento_api.conftest import FAST_FAIL
from tests.snapshots.conftest import build

ROW_TYPES = {
    "products/stats": {"name": str, "value": int},
    "products/types": {"name": str, "value": int},
    "brands/distribution": {"name": str, "value": int},
    "categories/distribution": {"name": str, "value": int, "level": int, "parent": (str, type(None))},
    "products/attributes": {"attribute": str, "value": (int, float)},
    "sales/performance": {"period": str, "revenue": (int, float), "orders": int, "customers": int},
    "inventory/status": {"category": str, "inStock": int, "lowStock": int, "outOfStock": int,
                         "totalValue": (int, float)},
}


def _total(client, auth, path: str) -> int:
    resp = client.get(f"/api/magento/{path}?searchCriteria[pageSize]=1", headers=auth("viewer"))
    return resp.get_json()["total_count"]


@pytest.fixture
def built(snap_app):
    app = snap_app()
    job = build(app)
    assert job.status == "succeeded", job.message
    return app


def test_each_chart_is_a_bare_array_of_its_row_shape_with_its_age(built, auth):
    client = built.test_client()
    for chart, types in ROW_TYPES.items():
        resp = client.get(f"/api/magento/{chart}?fieldName=name", headers=auth("viewer"))
        assert resp.status_code == 200, chart
        rows = resp.get_json()
        assert isinstance(rows, list) and rows, chart
        for row in rows:
            assert set(row) == set(types), row
            for field, kind in types.items():
                assert isinstance(row[field], kind) and not isinstance(row[field], bool), (chart, field, row)
        as_of = dt.datetime.fromisoformat(resp.headers["X-Data-As-Of"])
        assert abs((dt.datetime.now(dt.UTC) - as_of).total_seconds()) < 120, chart
        assert 0 <= int(resp.headers["Age"]) < 120, chart


def test_a_chart_request_makes_zero_magento_calls(built, auth, sandbox_total):
    client = built.test_client()
    before = sandbox_total()
    for _ in range(2):  # the dashboard fires each chart twice
        for chart in ROW_TYPES:
            assert client.get(f"/api/magento/{chart}", headers=auth("viewer")).status_code == 200
        assert client.get("/api/dashboard/stats", headers=auth("viewer")).status_code == 200
    assert sandbox_total() == before


def test_the_browser_may_read_the_age_headers_cross_origin(built, auth):
    resp = built.test_client().get("/api/magento/inventory/status",
                                   headers={**auth("viewer"), "Origin": "http://localhost:3000"})
    exposed = {h.strip() for h in resp.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"Age", "X-Data-As-Of", "Retry-After"} <= exposed


def test_the_age_header_grows_with_the_snapshot_age(built, auth):
    client = built.test_client()
    first = client.get("/api/magento/products/types", headers=auth("viewer"))
    time.sleep(2.1)
    later = client.get("/api/magento/products/types", headers=auth("viewer"))
    assert later.headers["X-Data-As-Of"] == first.headers["X-Data-As-Of"]
    assert int(later.headers["Age"]) >= int(first.headers["Age"]) + 2


def test_the_build_reads_every_page_of_magento(snap_app, auth, sandbox_calls):
    app = snap_app(MAGENTO_ANALYTICS_PAGE_SIZE=50)
    assert build(app).status == "succeeded"
    client = app.test_client()
    total = _total(client, auth, "products")
    assert total > 100  # the sandbox holds more products than two pages
    types = client.get("/api/magento/products/types", headers=auth("viewer")).get_json()
    assert sum(r["value"] for r in types) == total
    stats = client.get("/api/magento/products/stats", headers=auth("viewer")).get_json()
    stats = {r["name"]: r["value"] for r in stats}
    assert stats["enabled"] + stats["disabled"] == total
    # the pages, plus the build's two product counts, plus the count above
    assert sandbox_calls("GET /V1/products") == -(-total // 50) + 3


def test_inventory_counts_every_stocked_sku(built, auth, control):
    rows = built.test_client().get("/api/magento/inventory/status", headers=auth("viewer")).get_json()
    skus = {row["sku"] for row in control.get("state/source-items").json()}
    assert sum(r["inStock"] + r["lowStock"] + r["outOfStock"] for r in rows) == len(skus)


def test_sales_performance_matches_magento_orders(snap_app, auth):
    app = snap_app(MAGENTO_SALES_MONTHS=1200)  # every order the sandbox has
    assert build(app).status == "succeeded"
    client = app.test_client()
    rows = client.get("/api/magento/sales/performance", headers=auth("viewer")).get_json()
    orders = client.get("/api/magento/orders?searchCriteria[pageSize]=300", headers=auth("viewer")).get_json()
    counted = [o for o in orders["items"] if o["status"] not in ("canceled", "closed")]
    assert orders["total_count"] <= 300
    assert sum(r["orders"] for r in rows) == len(counted)
    assert sum(r["revenue"] for r in rows) == pytest.approx(sum(o["grand_total"] for o in counted), abs=0.05)


def test_dashboard_stats_are_a_snapshot_in_the_original_envelope(built, auth):
    client = built.test_client()
    resp = client.get("/api/dashboard/stats", headers=auth("viewer"))
    body = resp.get_json()
    assert resp.status_code == 200 and body["success"] is True and body["cached"] is True
    assert body["timestamp"] == resp.headers["X-Data-As-Of"]
    assert body["data"]["totalProducts"] == _total(client, auth, "products")
    assert body["data"]["totalOrders"] == _total(client, auth, "orders")
    assert 0 < body["data"]["enabledProducts"] <= body["data"]["totalProducts"]
    assert body["data"]["recentDays"] == 30 and body["data"]["recentRevenue"] >= 0


def test_magento_down_during_a_build_keeps_serving_the_last_snapshot(snap_app, auth, fault):
    app = snap_app(**FAST_FAIL, SYNC_MAX_ATTEMPTS=1)
    assert build(app).status == "succeeded"
    client = app.test_client()
    before = client.get("/api/magento/products/stats", headers=auth("viewer"))
    fault(status=503)
    job = build(app)
    assert job.status == "failed"
    after = client.get("/api/magento/products/stats", headers=auth("viewer"))
    assert after.status_code == 200 and after.get_json() == before.get_json()
    assert after.headers["X-Data-As-Of"] == before.headers["X-Data-As-Of"]
