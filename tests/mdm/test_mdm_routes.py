"""HTTP contract of the MDM API: shapes the frontend reads, roles, 400 on bad names, 503 when the DB is down."""
from __future__ import annotations

import time
from datetime import datetime

import pytest

from app.adapters.mdm.tables import mdm_engine
from app.adapters.sql import create_engine_for
from app.services.mdm.seed import seed_demo_data


@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("mdm-routes") / "mdm.sqlite3"
    engine = create_engine_for(f"sqlite:///{path}", name="mdm")
    seed_demo_data(mdm_engine(engine), products=300, now=datetime.now())
    engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture()
def client(make_app, seeded_url):
    return make_app(MDM_DATABASE_URL=seeded_url).test_client()


def test_inventory_page_has_rows_total_and_paging(client, auth):
    resp = client.get("/api/mdm/inventory?page=1&pageSize=10&sourceCode=&succursale=&search="
                      "&showChangedOnly=false&sortField=QteStock&sortOrder=desc", headers=auth("viewer"))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["success"] is True and (body["page"], body["pageSize"]) == (1, 10)
    assert len(body["data"]) == 10 and body["totalCount"] > 10
    row = body["data"][0]
    assert {"Code_MDM", "Code_JDE", "TypeProd", "Source", "Succursale", "QteStock", "Tarif", "DateDernierMaJ",
            "changed"} <= set(row)
    assert row["changed"] in (0, 1)


def test_inventory_changed_only_filter(client, auth):
    body = client.get("/api/mdm/inventory?showChangedOnly=true&pageSize=500", headers=auth("viewer")).get_json()
    assert body["totalCount"] > 0 and all(r["changed"] == 1 for r in body["data"])


@pytest.mark.parametrize("query", ["sortField=1;DROP TABLE x", "evil=1",
                                   "searchCriteria[filter_groups][0][filters][0][field]=x%20OR%201=1",
                                   "pageSize=-3"])
def test_inventory_rejects_unknown_names_with_400(client, auth, query):
    resp = client.get(f"/api/mdm/inventory?{query}", headers=auth("viewer"))
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "invalid_input"


def test_prices_shape_and_filters(client, auth):
    body = client.get("/api/mdm/prices", headers=auth("viewer")).get_json()
    assert body["success"] is True and body["totalCount"] == len(body["data"]) > 0
    assert set(body["data"][0]) == {"sku", "price"}
    page = client.get("/api/mdm/prices?limit=2&offset=1", headers=auth("viewer")).get_json()
    assert page["data"] == body["data"][1:3] and page["totalCount"] == body["totalCount"]
    assert client.get("/api/mdm/prices?limit=abc", headers=auth("viewer")).status_code == 400


def test_sources_mapping(client, auth):
    body = client.get("/api/mdm/sources", headers=auth("viewer")).get_json()
    assert len(body["data"]) == 12 and body["data"][0]["magentoSource"] == "src_casablanca"


def test_mdm_routes_need_a_token(client):
    assert client.get("/api/mdm/inventory").status_code == 401


def test_sync_stocks_needs_operator_and_accepts_a_bodiless_post(client, auth):
    assert client.post("/api/mdm/sync/stocks", headers=auth("viewer")).status_code == 403
    resp = client.post("/api/mdm/sync/stocks", headers=auth("operator"))
    assert resp.status_code == 200, resp.get_json()
    assert set(resp.get_json()["data"]) == {"sourceCode", "inserted", "updated", "unchanged"}
    one = client.post("/api/mdm/sync/stocks", json={"sourceCode": "3"}, headers=auth("operator")).get_json()
    assert one["data"]["sourceCode"] == 3
    assert client.post("/api/mdm/sync-stocks", headers=auth("operator")).status_code == 200
    assert client.post("/api/mdm/sync/stocks", json={"sourceCode": "x"}, headers=auth("operator")).status_code == 400


def test_database_down_answers_503_quickly(make_app, auth):
    client = make_app(MDM_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/test",
                      DB_CONNECT_TIMEOUT=1.0).test_client()
    started = time.monotonic()
    resp = client.get("/api/mdm/inventory", headers=auth("viewer"))
    assert time.monotonic() - started < 2.5
    assert resp.status_code == 503 and resp.get_json()["error"] == "dependency_unavailable"


def test_readiness_follows_the_mdm_database(make_app, seeded_url):
    up = make_app(MDM_DATABASE_URL=seeded_url).test_client()
    assert up.get("/api/health/ready").status_code == 200
    down = make_app(MDM_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/test",
                    DB_CONNECT_TIMEOUT=1.0).test_client()
    assert down.get("/api/health/ready").status_code == 503
