"""Liveness, readiness and the detailed report in application/health+json."""
from __future__ import annotations

from app import lifecycle
from app.services import health as health_service
from app.services.health import CheckResult, get_health


def test_liveness_is_public_and_calls_nothing(client):
    resp = client.get("/api/health")
    body = resp.get_json()
    assert resp.status_code == 200 and resp.mimetype == "application/health+json"
    assert body["status"] == "pass"
    for field in ("uptime", "version", "environment", "timestamp"):
        assert field in body


def test_readiness_passes_when_critical_checks_pass(client):
    resp = client.get("/api/health/ready")
    assert resp.status_code == 200 and resp.get_json()["status"] == "pass"


def test_readiness_fails_when_a_critical_check_fails(make_app):
    app = make_app(HEALTH_CRITICAL=["broken"])
    get_health(app).register("broken", lambda: CheckResult("fail", output="down"), component_type="datastore")
    resp = app.test_client().get("/api/health/ready")
    assert resp.status_code == 503 and resp.get_json()["status"] == "fail"
    entry = resp.get_json()["checks"]["broken:responseTime"][0]
    assert entry["status"] == "fail" and "output" not in entry  # public probe: statuses, not error details


def test_readiness_fails_while_draining(client, monkeypatch):
    monkeypatch.setitem(lifecycle._state, "phase", "draining")
    assert client.get("/api/health/ready").status_code == 503
    assert client.get("/api/health").status_code == 200  # liveness unaffected


def test_detailed_needs_a_viewer_and_reports_each_check(client, auth):
    assert client.get("/api/health/detailed").status_code == 401
    resp = client.get("/api/health/detailed", headers=auth("viewer"))
    body = resp.get_json()
    assert resp.status_code == 200
    redis = body["checks"]["redis:responseTime"][0]
    assert redis["status"] == "warn" and "REDIS_URL" in redis["output"]  # no Redis: warn, not fail
    assert body["status"] == "warn"
    for key in ("memory:utilization", "disk:utilization", "app_database:responseTime"):
        entry = body["checks"][key][0]
        assert {"componentId", "componentType", "status", "observedValue", "time"} <= set(entry)
    assert body["system"]["pid"] > 0


def test_noncritical_failure_warns_and_slow_check_times_out(make_app, auth):
    import time

    app = make_app(HEALTH_CRITICAL=[])
    get_health(app).register("slow", lambda: (time.sleep(3), CheckResult())[1], timeout=0.3)
    started = time.monotonic()
    body = app.test_client().get("/api/health/detailed", headers=auth("viewer")).get_json()
    assert time.monotonic() - started < 2.5
    assert body["checks"]["slow:responseTime"][0]["status"] == "fail"
    assert body["status"] == "warn"


def test_detailed_results_are_cached_briefly(make_app, auth, monkeypatch):
    calls = []
    monkeypatch.setattr(health_service, "HEALTH_CACHE_SECONDS", 30.0)
    app = make_app()
    get_health(app).register("counted", lambda: (calls.append(1), CheckResult())[1])
    client = app.test_client()
    for _ in range(3):
        client.get("/api/health/detailed", headers=auth("viewer"))
    assert len(calls) == 1


def test_json_metrics_count_database_queries(make_app, auth, tmp_path):
    from app.adapters import sql
    from app.adapters.mdm.tables import mdm_engine
    from app.services.mdm.seed import seed_demo_data

    url = f"sqlite:///{tmp_path / 'mdm.sqlite3'}"
    engine = mdm_engine(sql.create_engine_for(url, name="mdm"))
    seed_demo_data(engine, products=50)
    engine.dispose()
    client = make_app(MDM_DATABASE_URL=url).test_client()
    before = client.get("/api/metrics", headers=auth("viewer")).get_json()["database"]["queries"]
    assert client.get("/api/mdm/inventory?pageSize=5", headers=auth("viewer")).status_code == 200
    after = client.get("/api/metrics", headers=auth("viewer")).get_json()["database"]
    assert after["queries"] > before and after["avgResponseTime"] is not None
