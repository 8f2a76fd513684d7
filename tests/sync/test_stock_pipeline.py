"""The stock pipeline against the sandbox: zero lost updates under faults, changes during a run, bad items,
strict input limits, an outage the job waits out."""
from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from app.adapters import sql
from app.adapters.appdb import get_app_engine
from app.adapters.magento import get_magento_client
from app.adapters.mdm.tables import produits, stock_changes
from app.services.mdm.repository import get_mdm
from tests.support.servers import wait_until
from tests.sync.conftest import MAGENTO_SOURCE, acknowledged_mismatches, mark_all_changed, mdm_rows, run_job


def test_stock_sync_pushes_every_changed_row_and_acknowledges_them(sync_app, shop, mdm):
    app = sync_app()
    mark_all_changed(mdm)
    job = run_job(app, "stocks", {"sources": None, "merge": True})
    assert job.status == "succeeded", job.message
    rows = mdm_rows(mdm)
    assert not [r for r in rows if r[3]]
    assert job.counts["accepted"] == len(rows) == job.counts["acknowledged"]
    assert acknowledged_mismatches(mdm, shop) == []
    assert job.progress["done"] == job.progress["total"] == len(rows)


def test_zero_lost_updates_under_random_faults(sync_app, shop, mdm):
    # One attempt per client call: the faults escape the client and the engine's own patience is tested.
    app = sync_app(SYNC_BATCH_SIZE=50, MAGENTO_RETRY_MAX_ATTEMPTS=1, SYNC_BATCH_RETRIES=1)
    mark_all_changed(mdm)
    shop.faults(status=503, rate=0.15, seed=11, paths="source-items")
    first = run_job(app, "stocks", {"sources": None, "merge": False})
    shop.faults(drop_connection=True, rate=0.1, seed=12, paths="source-items")
    second = run_job(app, "stocks", {"sources": None, "merge": False})
    shop.faults(status=429, rate=0.2, seed=13, retry_after=0, paths="source-items")
    third = run_job(app, "stocks", {"sources": None, "merge": False})
    # Whatever the faults did, nothing is acknowledged that Magento does not hold.
    assert acknowledged_mismatches(mdm, shop) == []
    assert sum(j.counts.get("retried", 0) for j in (first, second, third)) > 0
    shop.clear()
    final = run_job(app, "stocks", {"sources": None, "merge": False})
    assert final.status == "succeeded"
    assert [r for r in mdm_rows(mdm) if r[3]] == []
    assert acknowledged_mismatches(mdm, shop) == []


def test_a_change_landing_during_the_push_stays_changed_and_goes_out_next_run(sync_app, shop, mdm):
    app = sync_app()
    mark_all_changed(mdm)
    client = get_magento_client(app)
    original = client.post_source_items
    target = {"sku": None}

    def post_then_change(items, **kwargs):
        result = original(items, **kwargs)
        if target["sku"] is None:  # Magento took the batch; MDM moves before the acknowledgement
            target["sku"], source = items[0]["sku"], items[0]["source_code"]
            code = next(c for c, m in MAGENTO_SOURCE.items() if m == source)
            target["code"] = code
            with sql.begin(get_mdm(app).engine) as conn:
                conn.execute(update(stock_changes).where(stock_changes.c.Code_MDM == target["sku"],
                                                         stock_changes.c.Code_Source == code)
                             .values(QteStock=4242, DateDernierMaJ=datetime.now(), changed=True))
        return result

    client.post_source_items = post_then_change
    job = run_job(app, "stocks", {"sources": None, "merge": False})
    client.post_source_items = original
    assert job.counts["stale"] == 1
    row = [r for r in mdm_rows(mdm) if r[0] == target["sku"] and r[1] == target["code"]][0]
    assert row[2] == 4242 and row[3] is True  # not lost: still changed
    assert run_job(app, "stocks", {"sources": [str(target["code"])], "merge": False}).status == "succeeded"
    assert shop.quantities()[(target["sku"], MAGENTO_SOURCE[target["code"]])] == 4242.0
    assert acknowledged_mismatches(mdm, shop) == []


def test_one_bad_sku_in_a_batch_of_300_the_other_299_land(sync_app, shop, mdm):
    app = sync_app(SYNC_BATCH_SIZE=300, SYNC_SOURCE_INFLIGHT=1)
    with mdm.connect() as conn:
        codes = sorted(r[0] for r in conn.execute(select(produits.c.Code_MDM)))[:299]
    with sql.begin(mdm) as conn:
        conn.execute(delete(stock_changes).where(stock_changes.c.Code_Source == 1))
        conn.execute(update(stock_changes).values(changed=False))
        rows = [{"Code_MDM": c, "Code_Source": 1, "Source": "s", "QteStock": 7, "DateDernierMaJ": datetime.now(),
                 "changed": True} for c in codes + ["1500000-BAD"]]
        conn.execute(insert(stock_changes), rows)
    job = run_job(app, "stocks", {"sources": ["1"], "merge": False})
    assert job.status == "partial"
    assert job.counts["accepted"] == 299 and job.counts["rejected"] == 1, (job.counts, job.errors[:3])
    assert [e["sku"] for e in job.errors] == ["1500000-BAD"]
    assert "not found" in job.errors[0]["message"]
    left = [r for r in mdm_rows(mdm) if r[3]]
    assert [(r[0], r[1]) for r in left] == [("1500000-BAD", 1)]
    assert job.counts["calls"] <= 4  # Magento named the culprit: no bisection needed
    quantities = shop.quantities()
    assert all(quantities[(c, MAGENTO_SOURCE[1])] == 7.0 for c in codes)


def test_strict_input_limits_the_batch_shrinks_and_the_sync_completes(sync_app, shop, mdm):
    app = sync_app()
    mark_all_changed(mdm)
    shop.faults(strict_limits=True)
    job = run_job(app, "stocks", {"sources": ["2", "3"], "merge": False})
    assert job.status == "succeeded", job.message
    assert job.result["inputLimit"] == 20 and job.result["batchSize"] == 20
    assert [r for r in mdm_rows(mdm) if r[3] and r[1] in (2, 3)] == []
    assert acknowledged_mismatches(mdm, shop) == []


def test_a_sync_started_while_magento_is_down_waits_then_completes(sync_app, shop, mdm):
    app = sync_app(SYNC_WAIT_MAX=60.0)
    mark_all_changed(mdm)
    shop.faults(status=503, paths="source-items")
    from app.services import jobs

    with app.app_context():
        job_id = jobs.get_jobs().submit(jobs.JobRequest("stocks", {"sources": ["4"], "merge": False}))
        wait_until(lambda: jobs.get_jobs().get_job(job_id).status == "waiting", timeout=15)
        assert jobs.get_jobs().get_job(job_id).waiting_on == "magento"
        shop.clear()
        wait_until(lambda: jobs.get_jobs().get_job(job_id).finished, timeout=20)
        job = jobs.get_jobs().get_job(job_id)
    assert job.status == "succeeded", job.message
    assert acknowledged_mismatches(mdm, shop) == []
    assert [r for r in mdm_rows(mdm) if r[3] and r[1] == 4] == []


def test_two_runs_of_one_source_never_push_at_the_same_time(sync_app, shop, mdm):
    app = sync_app(SYNC_BATCH_SIZE=10, SYNC_SOURCE_INFLIGHT=1)
    mark_all_changed(mdm)
    shop.faults(latency_ms=20, paths="source-items")
    from app.services import jobs
    from app.services.jobs import store

    with app.app_context():
        first = jobs.get_jobs().submit(jobs.JobRequest("stocks", {"sources": ["5"], "merge": False}))
        wait_until(lambda: store.lock_holder(get_app_engine(app), "stock-source:5") == first, timeout=10)
        second = jobs.get_jobs().submit(jobs.JobRequest("stocks", {"sources": ["5"], "merge": False}))
        wait_until(lambda: jobs.get_jobs().get_job(second).progress.get("sources", {}).get("5", {}).get("status")
                   == "waiting-lock", timeout=5)
        assert jobs.get_jobs().get_job(first).status == "running"
        wait_until(lambda: jobs.get_jobs().get_job(second).finished, timeout=30)
        assert jobs.get_jobs().get_job(first).status == jobs.get_jobs().get_job(second).status == "succeeded"
    assert threading.active_count() < 50
