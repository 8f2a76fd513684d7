"""Serving snapshots: the quick 503 before the first build (and the build it starts), the operator's status
and refresh endpoints, and snapshots that survive a restart on both backends (app database, Redis)."""
from __future__ import annotations

import time

import pytest
import redis
from sqlalchemy import delete

from app.adapters.appdb import get_app_engine
from app.adapters.appdb_tables import snapshots as snapshots_table
from app.adapters.snapshot_store import REDIS_PREFIX
from tests.snapshots.conftest import build
from tests.support.servers import free_port

CHARTS = ("products/stats", "products/types", "brands/distribution", "categories/distribution",
          "products/attributes", "sales/performance", "inventory/status")


def _charts(client, auth) -> dict[str, tuple[int, object]]:
    out = {}
    for chart in CHARTS:
        resp = client.get(f"/api/magento/{chart}", headers=auth("viewer"))
        out[chart] = (resp.status_code, resp.get_json())
    return out


def test_before_the_first_snapshot_a_chart_answers_503_at_once_without_calling_magento(snap_app, auth,
                                                                                       sandbox_total):
    client = snap_app().test_client()
    before = sandbox_total()
    for path in [f"/api/magento/{c}" for c in CHARTS] + ["/api/dashboard/stats"]:
        started = time.monotonic()
        resp = client.get(path, headers=auth("viewer"))
        assert time.monotonic() - started < 1.0, path
        body = resp.get_json()
        assert resp.status_code == 503 and body["error"] == "snapshot_pending", path
        assert resp.headers["Retry-After"] == "30"
        assert body["details"]["dataset"] in path
    assert sandbox_total() == before


def test_the_first_read_starts_one_build_and_the_chart_answers_when_it_ends(snap_app, auth):
    from app.services import jobs

    app = snap_app(SNAPSHOT_AUTO_REFRESH=True)
    client = app.test_client()
    first = client.get("/api/magento/inventory/status", headers=auth("viewer")).get_json()
    job_id = first["details"]["jobId"]
    assert first["error"] == "snapshot_pending" and isinstance(job_id, int)
    again = client.get("/api/magento/products/types", headers=auth("viewer")).get_json()
    assert again["details"]["jobId"] == job_id  # the running build, not a second one
    with app.app_context():
        assert jobs.get_jobs(app).runner().wait_local(job_id, 60)
        assert jobs.get_jobs().get_job(job_id).status == "succeeded"
        assert jobs.get_jobs().list_jobs(kind="snapshots")[1] == 1
    statuses = {code for code, _rows in _charts(client, auth).values()}
    assert statuses == {200}


def test_operators_refresh_and_inspect_the_snapshots(snap_app, auth):
    from app.services import jobs

    app = snap_app()
    client = app.test_client()
    assert client.post("/api/dashboard/snapshots/refresh", headers=auth("viewer")).status_code == 403
    assert client.get("/api/dashboard/snapshots", headers=auth("viewer")).status_code == 403
    pending = client.get("/api/dashboard/snapshots", headers=auth("operator")).get_json()["data"]
    assert {d["status"] for d in pending["datasets"]} == {"pending"} and len(pending["datasets"]) == 8
    resp = client.post("/api/dashboard/snapshots/refresh", headers=auth("operator"), json={"full": True})
    body = resp.get_json()
    assert resp.status_code == 202 and body["statusUrl"] == f"/api/sync/jobs/{body['jobId']}"
    with app.app_context():
        assert jobs.get_jobs(app).runner().wait_local(body["jobId"], 60)
    data = client.get("/api/dashboard/snapshots", headers=auth("operator")).get_json()["data"]
    assert data["backend"] == "app_database" and data["job"] is None
    assert data["lastJob"]["id"] == body["jobId"] and data["lastJob"]["status"] == "succeeded"
    for entry in data["datasets"]:
        assert entry["status"] == "ready" and entry["jobId"] == body["jobId"] and entry["bytes"] > 0, entry
        assert 0 <= entry["ageSeconds"] < 120 and entry["asOf"]
    assert data["workingSet"]["bytes"] > 0


def test_a_refresh_request_covered_by_a_queued_build_joins_it(snap_app, auth):
    from app.services.jobs import store

    app = snap_app()
    queued = store.enqueue(get_app_engine(app), "snapshots", {"full": True})
    resp = app.test_client().post("/api/dashboard/snapshots/refresh", headers=auth("operator"),
                                  json={"groups": ["inventory"]})
    assert resp.status_code == 202 and resp.get_json()["jobId"] == queued


@pytest.mark.parametrize("body", [{"full": "maybe"}, {"groups": ["everything"]}, {"groups": []}, [1]])
def test_a_bad_refresh_request_is_a_400(snap_app, auth, body):
    resp = snap_app().test_client().post("/api/dashboard/snapshots/refresh", headers=auth("operator"), json=body)
    assert resp.status_code == 400 and resp.get_json()["success"] is False


def test_snapshots_in_the_app_database_survive_a_restart(snap_app, auth, sandbox_total):
    first = snap_app()
    assert build(first).status == "succeeded"
    served = _charts(first.test_client(), auth)
    before = sandbox_total()
    restarted = snap_app()  # a new app on the same app database: what a new worker or host sees
    assert _charts(restarted.test_client(), auth) == served
    assert {code for code, _ in served.values()} == {200}
    assert sandbox_total() == before


def _clear_redis(url: str) -> redis.Redis:
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=REDIS_PREFIX + "*"):
        client.delete(key)
    return client


def test_snapshots_in_redis_survive_a_restart_and_fall_back_to_the_app_database(snap_app, auth, redis_url):
    client = _clear_redis(redis_url)
    first = snap_app(REDIS_URL=redis_url)
    assert build(first).status == "succeeded"
    assert client.exists(REDIS_PREFIX + "inventory/status")
    served = _charts(first.test_client(), auth)
    # Redis down: the durable copy in the app database answers.
    dead = snap_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert _charts(dead.test_client(), auth) == served
    # Restarted with Redis, the app database emptied: Redis alone answers.
    with first.app_context():
        with get_app_engine(first).begin() as conn:
            conn.execute(delete(snapshots_table))
    restarted = snap_app(REDIS_URL=redis_url)
    assert _charts(restarted.test_client(), auth) == served
    status = restarted.test_client().get("/api/dashboard/snapshots", headers=auth("operator")).get_json()["data"]
    assert status["backend"] == "redis"


def test_a_snapshot_redis_lost_is_read_from_the_app_database_and_put_back(snap_app, auth, redis_url):
    client = _clear_redis(redis_url)
    app = snap_app(REDIS_URL=redis_url)
    assert build(app).status == "succeeded"
    served = _charts(app.test_client(), auth)
    _clear_redis(redis_url)  # a flushed or new Redis
    assert _charts(app.test_client(), auth) == served
    assert client.exists(REDIS_PREFIX + "products/types")
