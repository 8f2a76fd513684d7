"""The seven chart endpoints: bare arrays in the frontend's row shapes, every Magento page read, cached."""
from __future__ import annotations

import pytest

from tests.magento_api.conftest import FAST_FAIL

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
    return client.get(f"/api/magento/{path}?searchCriteria[pageSize]=1", headers=auth("viewer")).get_json()["total_count"]


@pytest.mark.parametrize("chart", sorted(ROW_TYPES))
def test_each_chart_is_a_bare_array_of_its_row_shape(mclient, auth, chart):
    resp = mclient.get(f"/api/magento/{chart}?fieldName=name", headers=auth("viewer"))
    assert resp.status_code == 200
    rows = resp.get_json()
    assert isinstance(rows, list) and rows, chart
    for row in rows:
        assert set(row) == set(ROW_TYPES[chart]), row
        for field, kind in ROW_TYPES[chart].items():
            assert isinstance(row[field], kind) and not isinstance(row[field], bool), (chart, field, row)


def test_charts_read_every_page_of_magento(magento_app, auth, sandbox_calls):
    client = magento_app(MAGENTO_ANALYTICS_PAGE_SIZE=50).test_client()
    total = _total(client, auth, "products")
    assert total > 100  # the sandbox holds more products than two pages
    types = client.get("/api/magento/products/types", headers=auth("viewer")).get_json()
    assert sum(r["value"] for r in types) == total
    stats = client.get("/api/magento/products/stats", headers=auth("viewer")).get_json()
    by_name = {r["name"]: r["value"] for r in stats}
    assert by_name["enabled"] + by_name["disabled"] == total
    pages = -(-total // 50)
    assert sandbox_calls("GET /V1/products") == pages + 1  # the pages, plus the count above


def test_inventory_counts_every_stocked_sku(magento_app, auth, control):
    client = magento_app(MAGENTO_ANALYTICS_PAGE_SIZE=40).test_client()
    rows = client.get("/api/magento/inventory/status", headers=auth("viewer")).get_json()
    skus = {row["sku"] for row in control.get("state/source-items").json()}
    assert sum(r["inStock"] + r["lowStock"] + r["outOfStock"] for r in rows) == len(skus)


def test_sales_performance_matches_magento_orders(magento_app, auth):
    client = magento_app(MAGENTO_SALES_MONTHS=1200).test_client()  # every order the sandbox has
    rows = client.get("/api/magento/sales/performance", headers=auth("viewer")).get_json()
    orders = client.get("/api/magento/orders?searchCriteria[pageSize]=300", headers=auth("viewer")).get_json()
    counted = [o for o in orders["items"] if o["status"] not in ("canceled", "closed")]
    assert orders["total_count"] <= 300
    assert sum(r["orders"] for r in rows) == len(counted)
    assert sum(r["revenue"] for r in rows) == pytest.approx(sum(o["grand_total"] for o in counted), abs=0.05)


def test_charts_are_cached(mclient, auth, sandbox_calls):
    for _ in range(3):
        assert mclient.get("/api/magento/brands/distribution", headers=auth("viewer")).status_code == 200
    assert sandbox_calls("GET /V1/products/attributes/:attributeCode/options") == 1


def test_a_product_write_through_the_proxy_refreshes_the_charts(mclient, auth):
    before = {r["name"]: r["value"] for r in mclient.get("/api/magento/products/types", headers=auth("viewer")).get_json()}
    created = mclient.post("/api/magento/products", headers=auth("admin"), json={"product": {
        "sku": "CHART-NEW-1", "name": "Chart test", "price": 10, "type_id": "virtual", "attribute_set_id": 4}})
    assert created.status_code == 200
    after = {r["name"]: r["value"] for r in mclient.get("/api/magento/products/types", headers=auth("viewer")).get_json()}
    assert after.get("virtual", 0) == before.get("virtual", 0) + 1


def test_magento_down_gives_503_not_an_empty_chart(magento_app, auth, fault):
    client = magento_app(**FAST_FAIL).test_client()
    fault(status=503)
    resp = client.get("/api/magento/products/stats", headers=auth("viewer"))
    assert resp.status_code == 503 and resp.get_json()["success"] is False
