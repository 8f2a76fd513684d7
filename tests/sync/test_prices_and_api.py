"""Price sync (async bulk, base-prices fallback) and the sync endpoints as the frontend calls them."""
from __future__ import annotations

from tests.support.servers import wait_until
from tests.sync.conftest import acknowledged_mismatches, mark_all_changed, run_job


def simple_skus(shop, count: int = 40) -> list[str]:
    """SKUs the sandbox holds as simple products (configurables take no base price)."""
    out = []
    for i in range(300):
        sku = str(1_000_001 + i)
        if shop.http.get(f"state/products/{sku}").json()["type_id"] == "simple":
            out.append(sku)
        if len(out) == count:
            return out
    raise AssertionError("not enough simple products")


def test_price_sync_bulk_path_answers_the_fields_the_frontend_reads(sync_app, shop, client_for, auth):
    client = client_for(sync_app())
    SKUS = simple_skus(shop)
    rows = [{"sku": sku, "price": 100 + i, "extra": "ignored"} for i, sku in enumerate(SKUS)]
    resp = client.post("/api/mdm/sync/prices", json=rows, headers=auth("operator"))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["method"] == "bulk" and body["successful"] == 40 and body["failed"] == 0
    assert body["bulkId"] and body["jobId"] and body["bySuccessMethod"] == {"bulk": 40}
    assert body["results"] == [] and body["resultsTruncated"] is False  # failed items only: none
    assert shop.price(SKUS[3]) == 103.0


def test_bulk_failure_falls_back_to_base_prices_for_every_item(sync_app, shop):
    app = sync_app(SYNC_BATCH_SIZE=15)
    SKUS = simple_skus(shop)
    shop.faults(status=500, paths="async/bulk")
    items = [{"sku": sku, "price": 50 + i} for i, sku in enumerate(SKUS)] + [{"sku": "NO-SUCH", "price": 1}]
    job = run_job(app, "prices", {"items": items})
    assert job.status == "partial"
    result = job.result
    assert result["method"] == "base-prices" and result["successful"] == 40 and result["failed"] == 1
    failed = result["results"]  # the failed items only, never the 40 successes
    assert len(failed) == 1 and failed[0]["status"] == "failed"
    assert failed[0]["sku"] == "NO-SUCH" and "NO-SUCH" in failed[0]["error"]
    assert all(shop.price(sku) == 50 + i for i, sku in enumerate(SKUS))


def test_price_sync_from_mdm_when_the_body_is_empty(sync_app, shop):
    job = run_job(sync_app(), "prices", {"items": None})
    assert job.status in ("succeeded", "partial") and job.result["total"] > 0
    assert job.result["successful"] > 0


def test_long_work_answers_202_with_a_job_and_its_status_url(sync_app, shop, mdm, client_for, auth):
    mark_all_changed(mdm)
    client = client_for(sync_app())
    resp = client.post("/api/mdm/inventory/sync-all-stocks", headers=auth("operator"))
    assert resp.status_code == 202
    body = resp.get_json()
    assert body["success"] and body["status"] in ("running", "pending", "succeeded")
    assert body["statusUrl"] == f"/api/sync/jobs/{body['jobId']}"
    wait_until(lambda: client.get(body["statusUrl"], headers=auth("viewer")).get_json()["data"]["status"]
               == "succeeded", timeout=30)
    job = client.get(body["statusUrl"], headers=auth("viewer")).get_json()["data"]
    assert job["counts"]["accepted"] == job["progress"]["total"] > 0
    assert acknowledged_mismatches(mdm, shop) == []
    listing = client.get("/api/sync/jobs?kind=stocks&status=succeeded", headers=auth("viewer")).get_json()
    assert listing["totalCount"] == 1 and listing["data"][0]["id"] == body["jobId"]


def test_source_push_takes_the_frontend_source_object(sync_app, shop, mdm, client_for, auth):
    mark_all_changed(mdm)
    client = client_for(sync_app())
    source = {"code_source": "6", "source": "Agadir Talborjt", "magentoSource": "src_agadir", "succursale": "106"}
    resp = client.post("/api/mdm/sync/source?wait=20", json=source, headers=auth("operator"))
    assert resp.status_code == 200 and resp.get_json()["status"] == "succeeded"
    bad = client.post("/api/mdm/sync/source", json={"code_source": "99"}, headers=auth("operator"))
    assert bad.status_code == 400
    assert client.post("/api/mdm/sync/source", json=source, headers=auth("viewer")).status_code == 403


def test_acknowledge_endpoint_accepts_no_body_and_clears_only_rows_magento_has(sync_app, shop, mdm, client_for,
                                                                              auth):
    app = sync_app()
    run_job(app, "stocks", {"sources": ["7"], "merge": False, "full": True})  # Magento now holds source 7
    mark_all_changed(mdm)
    client = client_for(app)
    resp = client.post("/api/mdm/sync/success?wait=20", headers=auth("operator"))  # no body, no Content-Type
    assert resp.status_code == 200, resp.get_json()
    from tests.sync.conftest import mdm_rows

    rows = mdm_rows(mdm)
    assert [r for r in rows if r[1] == 7 and r[3]] == []           # confirmed in Magento: acknowledged
    assert len([r for r in rows if r[1] != 7 and r[3]]) > 0          # others differ: stay changed
    assert acknowledged_mismatches(mdm, shop) == []


def test_job_endpoints_need_a_token_and_answer_404_for_unknown_jobs(sync_app, client_for, auth):
    client = client_for(sync_app())
    assert client.get("/api/sync/jobs").status_code == 401
    assert client.get("/api/sync/jobs/999", headers=auth("viewer")).status_code == 404


def test_metrics_sync_section_reports_jobs_items_and_schedule(sync_app, shop, mdm, client_for, auth):
    app = sync_app()
    run_job(app, "stocks", {"sources": ["8"], "merge": False, "full": True})
    body = client_for(app).get("/api/metrics/sync", headers=auth("viewer")).get_json()
    assert body["jobs"]["stocks"]["succeeded"] >= 1
    assert body["items"]["stocks"]["accepted"] > 0
    assert "stocks" in body["lastSuccess"]
    assert {s["name"] for s in body["schedule"]} == {"prices", "stocks", "full", "prune"}
    assert all(s["nextRun"] for s in body["schedule"])
    health = client_for(app).get("/api/health/detailed", headers=auth("viewer")).get_json()
    assert "scheduler" in str(health["checks"])
