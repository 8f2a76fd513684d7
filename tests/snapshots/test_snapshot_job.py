"""The snapshot job: a full build, incremental refreshes that read only what changed (and merge correctly),
the count check that catches deletions, one-source inventory refreshes with an honest as-of."""
from __future__ import annotations

from collections import defaultdict

from tests.snapshots.conftest import build


def _types(client, auth) -> dict[str, int]:
    return {r["name"]: r["value"] for r in client.get("/api/magento/products/types", headers=auth("viewer")).get_json()}


def _total(client, auth, path: str) -> int:
    resp = client.get(f"/api/magento/{path}?searchCriteria[pageSize]=1", headers=auth("viewer"))
    return resp.get_json()["total_count"]


def test_an_incremental_refresh_reads_only_changed_products_and_merges_them(snap_app, auth, sandbox_calls):
    app = snap_app(MAGENTO_ANALYTICS_PAGE_SIZE=20)
    first = build(app)
    assert first.status == "succeeded" and first.result["full"] is True
    client = app.test_client()
    total = _total(client, auth, "products")
    assert first.result["read"]["products"] == total
    before = _types(client, auth)
    created = client.post("/api/magento/products", headers=auth("admin"), json={"product": {
        "sku": "SNAP-NEW-1", "name": "Snapshot test", "price": 10, "type_id": "virtual", "attribute_set_id": 4}})
    assert created.status_code == 200
    calls = sandbox_calls("GET /V1/products")
    second = build(app)
    assert second.status == "succeeded", second.message
    assert second.result["full"] is False and second.result["refetched"] == []
    # The new product, plus those updated in the watermark's second (gteq re-reads the boundary).
    assert 1 <= second.result["read"]["products"] < 10
    # One page of changes and three counts (the dashboard's two, the drift check), not every page (> 6).
    assert sandbox_calls("GET /V1/products") - calls == 4
    after = _types(client, auth)
    assert after.get("virtual", 0) == before.get("virtual", 0) + 1
    assert sum(after.values()) == total + 1
    assert second.result["read"]["orders"] < first.result["read"]["orders"]


def test_a_deleted_product_is_caught_by_the_count_check_and_reread_in_full(snap_app, auth):
    app = snap_app()
    assert build(app).status == "succeeded"
    client = app.test_client()
    first = client.get("/api/magento/products?searchCriteria[pageSize]=1", headers=auth("viewer")).get_json()
    sku = first["items"][0]["sku"]
    assert client.delete(f"/api/magento/products/{sku}", headers=auth("admin")).status_code == 200
    job = build(app)
    assert job.status == "succeeded" and job.result["refetched"] == ["catalog"]
    assert sum(_types(client, auth).values()) == _total(client, auth, "products")


def test_a_full_rebuild_rereads_every_group(snap_app, auth):
    app = snap_app()
    first = build(app)
    again = build(app, full=True)
    assert again.result["full"] is True and again.result["read"] == first.result["read"]


def test_a_one_source_refresh_reads_only_that_source_and_keeps_an_honest_as_of(snap_app, auth, control):
    app = snap_app()
    assert build(app).status == "succeeded"
    client = app.test_client()
    inventory = client.get("/api/magento/inventory/status", headers=auth("viewer"))
    items = control.get("state/source-items").json()
    by_sku: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        by_sku[item["sku"]].append(item)
    # A SKU well in stock in the fewest sources: empty its source items, refresh only those sources.
    sku, rows = min(((s, rows) for s, rows in sorted(by_sku.items())
                     if sum(r["quantity"] for r in rows if r["status"] == 1) > 10), key=lambda pair: len(pair[1]))
    sources = sorted({r["source_code"] for r in rows})
    resp = client.post("/api/magento/inventory/source-items", headers=auth("admin"), json={"sourceItems": [
        {"sku": sku, "source_code": code, "quantity": 0, "status": 0} for code in sources]})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    job = build(app, groups=["inventory"], sources=sources)
    assert job.status == "succeeded", job.message
    assert job.result["read"]["sourceItems"] == sum(1 for i in items if i["source_code"] in sources)
    assert job.result["read"]["sourceItems"] < len(items)
    assert "products" not in job.result["read"]
    after = client.get("/api/magento/inventory/status", headers=auth("viewer"))
    out = sum(r["outOfStock"] for r in after.get_json())
    assert out == sum(r["outOfStock"] for r in inventory.get_json()) + 1
    # The other sources were read by the first build: the chart is as old as they are.
    assert after.headers["X-Data-As-Of"] == inventory.headers["X-Data-As-Of"]
