"""Syncs that change Magento refresh the dashboard snapshots they change: a stock push refreshes inventory
(only the pushed sources), a price push re-reads the catalog; nothing is queued with SNAPSHOT_AUTO_REFRESH off."""
from __future__ import annotations

from app.services import jobs
from tests.sync.conftest import MAGENTO_SOURCE, mark_all_changed, run_job


def _snapshot_jobs(app):
    with app.app_context():
        return jobs.get_jobs().list_jobs(kind="snapshots")[0]


def _wait(app, job_id: int):
    with app.app_context():
        assert jobs.get_jobs(app).runner().wait_local(job_id, 60)
        return jobs.get_jobs().get_job(job_id)


def test_a_stock_sync_refreshes_the_inventory_snapshot(sync_app, shop, mdm):
    app = sync_app(SNAPSHOT_AUTO_REFRESH=True)
    mark_all_changed(mdm)
    stock = run_job(app, "stocks", {"sources": None, "merge": True})
    assert stock.status == "succeeded" and stock.counts["accepted"] > 0
    (snap,) = _snapshot_jobs(app)
    assert snap.requested_by == f"after:stocks job {stock.id}"
    assert snap.params["groups"] == ["inventory"] and snap.params["sources"] is None
    done = _wait(app, snap.id)
    assert done.status == "succeeded", done.message
    resp = app.test_client().get("/api/magento/inventory/status", headers={"Authorization": "Bearer test-viewer-token"})
    assert resp.status_code == 200 and resp.get_json() and resp.headers["X-Data-As-Of"]


def test_a_one_source_push_refreshes_only_that_source(sync_app, shop, mdm):
    app = sync_app(SNAPSHOT_AUTO_REFRESH=True)
    mark_all_changed(mdm)
    first = run_job(app, "stocks", {"sources": None, "merge": True})
    _wait(app, _snapshot_jobs(app)[0].id)
    mark_all_changed(mdm)
    run_job(app, "stocks", {"sources": ["3"], "merge": False})
    latest = _snapshot_jobs(app)[0]
    assert latest.requested_by != f"after:stocks job {first.id}"
    assert latest.params["sources"] == [MAGENTO_SOURCE[3]]
    done = _wait(app, latest.id)
    assert done.status == "succeeded" and done.result["full"] is False
    assert done.result["read"]["sourceItems"] < _wait(app, _snapshot_jobs(app)[-1].id).result["read"]["sourceItems"]


def test_a_price_sync_rereads_the_catalog(sync_app, shop, mdm):
    app = sync_app(SNAPSHOT_AUTO_REFRESH=True)
    prices = run_job(app, "prices", {"items": None})
    assert prices.result["successful"] > 0
    (snap,) = _snapshot_jobs(app)
    assert snap.params["groups"] == ["catalog"] and snap.params["refetch"] == ["catalog"]
    assert _wait(app, snap.id).status == "succeeded"


def test_no_refresh_is_queued_when_automatic_refreshes_are_off(sync_app, shop, mdm):
    app = sync_app()
    mark_all_changed(mdm)
    assert run_job(app, "stocks", {"sources": None, "merge": True}).status == "succeeded"
    assert _snapshot_jobs(app) == []


def test_the_cli_builds_the_snapshots_with_a_progress_summary(monkeypatch, shop, tmp_path, mdm_file, runner):
    from app.cli import cli
    from tests.sync.conftest import sync_overrides

    for key, value in sync_overrides(shop.url, tmp_path, mdm_file).items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.setenv("APP_ENV", "testing")
    result = runner.invoke(cli, ["sync", "snapshots"])
    assert result.exit_code == 0, result.output
    assert "SUCCEEDED" in result.output and "8 snapshots built (full" in result.output
    assert "source-items" in result.output and "datasets=8" in result.output
