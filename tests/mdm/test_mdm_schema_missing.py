"""An MDM database without the MDM tables is a clear state (issue 15 item 6), not a 500 with a traceback.

A new user's empty database, or Gunicorn started directly on a fresh checkout (AUTO_SEED only acts in
`manage.py up`): readiness fails naming the missing tables and the fix, MDM routes answer 503
`mdm_schema_missing` with the command, and a sync job fails with that reason instead of OperationalError.
"""
from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from app.adapters.sql import create_engine_for, missing_table
from app.errors import SchemaMissing
from tests.support.servers import GunicornServer

TABLES = ("Produits_ECommerce", "Tarif", "ApprovisionnementProduits", "StockChanges")


@pytest.fixture
def empty_app(make_app, tmp_path):
    return make_app(MDM_DATABASE_URL=f"sqlite:///{tmp_path / 'empty-mdm.sqlite3'}")


@pytest.mark.parametrize("method, url", [
    ("GET", "/api/mdm/prices"), ("GET", "/api/mdm/inventory?pageSize=5"),
    ("POST", "/api/mdm/sync/stocks"), ("POST", "/api/mdm/sync-stocks"),
])
def test_mdm_routes_answer_503_mdm_schema_missing_with_the_fix(empty_app, auth, method, url, caplog):
    resp = empty_app.test_client().open(url, method=method, headers=auth("operator"))
    assert resp.status_code == 503, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["error"] == "mdm_schema_missing"
    assert body["details"]["table"] in TABLES
    assert "python manage.py db seed" in body["details"]["fix"] and "MDM_DATABASE_URL" in body["message"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # no "unhandled error" traceback


def test_the_503_is_in_the_document_of_every_mdm_route(app):
    spec = app.extensions["api"].spec.to_dict()
    for path, method in [("/api/mdm/prices", "get"), ("/api/mdm/inventory", "get"),
                         ("/api/mdm/sync/stocks", "post"), ("/api/mdm/sync-stocks", "post")]:
        assert "503" in {str(s) for s in spec["paths"][path][method]["responses"]}, path


def test_readiness_fails_naming_the_missing_tables(empty_app, auth):
    client = empty_app.test_client()
    resp = client.get("/api/health/ready")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["checks"]["database:responseTime"][0]["status"] == "fail"
    assert any(all(t in note for t in TABLES) and "manage.py db seed" in note for note in body["notes"])
    detailed = client.get("/api/health/detailed", headers=auth("viewer")).get_json()
    assert detailed["checks"]["database:responseTime"][0]["details"]["missingTables"] == list(TABLES)


def test_readiness_passes_once_the_tables_exist(make_app, tmp_path):
    from tests.support.servers import create_mdm_tables

    url = f"sqlite:///{tmp_path / 'mdm.sqlite3'}"
    create_mdm_tables(url)
    assert make_app(MDM_DATABASE_URL=url).test_client().get("/api/health/ready").status_code == 200


def test_a_sync_job_fails_at_once_with_the_reason(empty_app):
    from app.services import jobs

    with empty_app.app_context():
        job_id = jobs.get_jobs().submit(jobs.JobRequest("stocks.acknowledge", {"sources": None}), start=False)
        record = jobs.get_jobs(empty_app).runner().run_inline(job_id)
    jobs.get_jobs(empty_app).runner().stop(timeout=5)
    assert record.status == "failed"
    assert record.attempts == 1  # not retried: a missing table needs a person
    assert "has no table" in record.message and "manage.py db seed" in record.message
    assert "OperationalError" not in record.message


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "mariadb"])
def test_each_dialects_missing_table_error_is_recognised(backend, tmp_path, request):
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}" if backend == "sqlite" else request.getfixturevalue(
        "pg_url" if backend == "postgres" else "maria_url")
    engine = create_engine_for(url, name="mdm")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1 FROM Nope_Table_15"))
    except Exception as exc:  # noqa: BLE001 - the driver's own error type is what is under test
        assert (missing_table(exc) or "").lower() == "nope_table_15"  # PostgreSQL folds unquoted names
    else:
        pytest.fail("the query should have failed")
    finally:
        engine.dispose()


def test_schema_missing_is_not_an_outage():
    from app.errors import DependencyUnavailable

    err = SchemaMissing("mdm", "Tarif", "run it")
    assert err.status == 503 and err.code == "mdm_schema_missing"
    assert not isinstance(err, DependencyUnavailable)  # breakers and job waits must not count it


def test_readiness_under_gunicorn_names_the_missing_tables():
    with GunicornServer(workers=1, mdm_schema=False) as server:
        resp = httpx.get(server.base_url + "/api/health/ready", timeout=10)
        assert resp.status_code == 503
        note = " ".join(resp.json()["notes"])
        assert all(t in note for t in TABLES) and "manage.py db seed" in note
        mdm = httpx.get(server.base_url + "/api/mdm/prices", headers=server.headers("viewer"), timeout=10)
        assert mdm.status_code == 503 and mdm.json()["error"] == "mdm_schema_missing"
        assert "Traceback" not in server.log()
