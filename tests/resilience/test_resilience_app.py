"""Breakers and bulkheads wired into the app: the DB hook, the 503 envelope, health, metrics, sync API, settings."""
from __future__ import annotations

import socket
import time

import pytest

from config import ConfigError, load_settings


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.fixture
def guarded_app(make_app, tmp_path):
    def factory(**overrides):
        return make_app(BREAKERS_ENABLED=True, BULKHEADS_ENABLED=True, RUN_DIR=str(tmp_path / "run"),
                        BREAKER_FAILURE_THRESHOLD=2, **overrides)
    return factory


def test_an_unreachable_mdm_database_opens_its_breaker_and_answers_503_at_once(guarded_app, auth) -> None:
    app = guarded_app(MDM_DATABASE_URL=f"postgresql+psycopg://u@127.0.0.1:{_closed_port()}/mdm",
                      BREAKER_RESET_TIMEOUT=30.0)
    client = app.test_client()
    for _ in range(2):
        resp = client.get("/api/mdm/inventory", headers=auth("viewer"))
        assert resp.status_code == 503 and resp.json["error"] == "dependency_unavailable"
    started = time.perf_counter()
    resp = client.get("/api/mdm/inventory", headers=auth("viewer"))
    assert time.perf_counter() - started < 0.2
    assert resp.status_code == 503 and resp.json["details"]["breaker"] == "open"
    assert 1 <= int(resp.headers["Retry-After"]) <= 30
    detailed = client.get("/api/health/detailed", headers=auth("viewer")).json
    check = detailed["checks"]["mdm_database_breaker:state"][0]
    assert check["status"] == "fail" and check["observedValue"] == "open" and check["critical"] is True
    breakers = client.get("/api/metrics", headers=auth("viewer")).json["breakers"]
    assert breakers["mdm_database"]["state"] == "open" and breakers["mdm_database"]["openedCount"] == 1
    assert breakers["mdm_database"]["transitions"]["open"] >= 1
    # GUNICORN_THREADS 32 by default: half of them for Magento calls
    assert breakers["magento"]["state"] == "closed" and breakers["magento"]["bulkhead"]["perWorker"] == 16
    prom = client.get("/api/metrics/prometheus", headers=auth("viewer")).text
    assert 'techno_etl_breaker_state{upstream="mdm_database"} 2.0' in prom


def test_magento_breaker_open_renders_the_upstream_unavailable_envelope(guarded_app, auth) -> None:
    app = guarded_app()
    with app.app_context():
        from app.services.resilience import get_resilience

        breaker = get_resilience().breakers["magento"]
        breaker.store.update("magento", lambda r: r.__class__(state="open", opened_at=time.time(), opened_count=1))
    resp = app.test_client().get("/api/testing/magento/store-configs", headers=auth("viewer"))
    assert resp.status_code == 503
    assert resp.json["error"] == "upstream_unavailable" and resp.json["details"] == {"upstream": "magento",
                                                                                      "breaker": "open"}
    assert int(resp.headers["Retry-After"]) == 15


def test_sync_api_waits_for_the_probe_and_reports_state(guarded_app) -> None:
    app = guarded_app(BREAKER_RESET_TIMEOUT=0.3)
    with app.app_context():
        from app.services.resilience import breaker_state, get_resilience, wait_until_closed
        from tests.resilience.helpers import fail_once

        breaker = get_resilience().breakers["magento"]
        fail_once(breaker)
        fail_once(breaker)
        assert breaker_state("magento") == "open"
        assert wait_until_closed("magento", timeout=0.05) is False
        started = time.perf_counter()
        assert wait_until_closed("magento", timeout=5, poll=0.05) is True  # half-open: the next call probes
        assert 0.15 < time.perf_counter() - started < 1.0
        assert breaker_state("magento") == "half-open"
        with breaker.guard():
            pass
        assert breaker_state("magento") == "closed"


def test_breakers_are_off_unless_enabled(make_app) -> None:
    app = make_app()
    with app.app_context():
        from app.services.resilience import breaker_state, get_resilience, wait_until_closed

        assert get_resilience().breakers == {} and breaker_state("magento") == "closed"
        assert wait_until_closed("magento", timeout=0) is True


def test_settings_refuse_database_timeouts_above_the_worker_timeout() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings("testing", environ={"GUNICORN_TIMEOUT": "10", "DB_STATEMENT_TIMEOUT": "15"})
    assert any(p.startswith("DB_CONNECT_TIMEOUT/DB_STATEMENT_TIMEOUT") and "GUNICORN_TIMEOUT=10" in p
               for p in err.value.problems)
    assert load_settings("testing", environ={"GUNICORN_TIMEOUT": "30"}).database.statement_timeout == 15.0
    assert load_settings("testing", environ={"GUNICORN_TIMEOUT": "0", "DB_STATEMENT_TIMEOUT": "99"})
