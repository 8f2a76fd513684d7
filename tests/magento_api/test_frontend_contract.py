"""Walk every live call of the frontend (frontend-contract.json) against the app and the sandbox.

Each entry is called the way the frontend calls it (method, path, query, body) and the fields the
frontend reads are checked for presence and type. Areas whose routes are not registered are skipped and
printed; the two `other` entries are static files of the SPA, not API routes.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests.support.sandbox import ADMIN
from tests.support.snapshots import build_snapshots

CONTRACT = Path("/work/shared/reference/frontend-contract.json")
NUM = (int, float)
OPT = type(None)
SC = ("searchCriteria[pageSize]=5&searchCriteria[currentPage]=1&searchCriteria[sortOrders][0][field]=created_at"
      "&searchCriteria[sortOrders][0][direction]=DESC")
CMS_PAGE = {"page": {"title": "Contract page", "identifier": "contract-page", "content": "<p>x</p>", "is_active": True}}
CMS_BLOCK = {"block": {"title": "Contract block", "identifier": "contract-block", "content": "<p>x</p>",
                       "is_active": True}}
NOT_API = {100: "static SPA file", 101: "static SPA file"}
# Lists that are legitimately empty in a fresh app database (no route creates their rows).
MAY_BE_EMPTY = {43: "voting categories"}
# Live calls whose answer does not (yet) carry what the frontend reads, in areas this suite does not own.
# Reported in the printed figure; an entry listed here that starts passing is reported as fixed.
KNOWN_GAPS: dict[int, str] = {}

# id -> (query, body, expected status set, [(field path, type)]). `a[].b` checks b in every element of a.
CALLS: dict[int, tuple[str, Any, set[int], list[tuple[str, Any]]]] = {
    1: ("page=0&pageSize=25&sourceCode=&succursale=&showChangedOnly=false&search=", None, {200},
        [("data", list), ("totalCount", int)] + [(f"data[].{f}", object) for f in (
            "Code_MDM", "Code_JDE", "TypeProd", "Source", "Succursale", "QteStock", "Tarif", "DateDernierMaJ",
            "changed")]),
    2: ("", None, {200}, [("data", list), ("data[].sku", str), ("data[].price", NUM)]),
    3: ("", "PRICES", {200, 202}, [("method", str), ("successful", int), ("failed", int), ("results", list),
                                   ("message", str), ("bulkId", (str, OPT))]),
    4: ("", None, {200, 202}, []),
    5: ("", None, {200}, [("data", list), ("data[].code_source", object), ("data[].magentoSource", str),
                          ("data[].source", object), ("data[].succursale", object)]),
    6: ("", "SOURCE", {200, 202}, []),
    7: ("", None, {200, 202}, []),
    8: ("", ADMIN, {200}, [("", str)]),
    9: ("", None, {200}, [("", list)]),
    10: (SC + "&fieldName=name", None, {200}, [("items", list), ("total_count", int), ("search_criteria", dict)] + [
        (f"items[].{f}", t) for f, t in (("sku", str), ("name", str), ("price", NUM), ("status", int),
                                         ("type_id", str), ("created_at", str), ("id", int),
                                         ("custom_attributes", list))]),
    11: ("fieldName=name", None, {200}, [("sku", str)]),
    12: ("", {"product": {"sku": "CONTRACT-1", "name": "Contract product", "attribute_set_id": 4, "price": 9.5,
                          "status": 1, "visibility": 4, "type_id": "simple", "weight": 1,
                          "custom_attributes": [{"attribute_code": "country_of_manufacture", "value": "MA"}]}},
         {200}, [("sku", str)]),
    13: (SC.replace("pageSize]=5", "pageSize]=150") + "&searchCriteria[filterGroups][0][filters][0][field]=created_at"
         "&searchCriteria[filterGroups][0][filters][0][value]=2000-01-01T00:00:00.000Z"
         "&searchCriteria[filterGroups][0][filters][0][conditionType]=gteq", None, {200},
         [("items", list), ("total_count", int), ("search_criteria", dict)] + [(f"items[].{f}", t) for f, t in (
             ("entity_id", int), ("status", str), ("customer_email", str), ("increment_id", str),
             ("grand_total", NUM), ("total_qty_ordered", NUM), ("created_at", str), ("items", list))]),
    14: (SC, None, {200}, [("items", list), ("total_count", int), ("search_criteria", dict)] + [
        (f"items[].{f}", t) for f, t in (("id", int), ("firstname", str), ("lastname", str), ("email", str),
                                         ("created_at", str))]),
    15: (SC, None, {200}, [("items", list), ("total_count", int)] + [
        (f"items[].{f}", t) for f, t in (("increment_id", str), ("order_id", int), ("state", int),
                                         ("grand_total", NUM), ("created_at", str))]),
    16: ("searchCriteria[pageSize]=25&searchCriteria[currentPage]=1&searchCriteria[sortOrders][0][field]=creation_time"
         "&searchCriteria[sortOrders][0][direction]=DESC&fieldName=title", None, {200},
         [("items", list), ("total_count", int)] + [(f"items[].{f}", object) for f in (
             # Magento names the flag `active` (the frontend's grid reads `is_active`, a frontend bug).
             "id", "title", "identifier", "active", "creation_time", "update_time")]),
    # Sent without the searchCriteria prefix: Magento refuses it and its 400 passes through (the frontend
    # then uses its local fallback, as it does today).
    17: ("pageSize=10&currentPage=1&sortOrders[0][field]=title&sortOrders[0][direction]=ASC&useCache=true"
         "&fieldName=name", None, {400}, [("message", str)]),
    18: ("", CMS_PAGE, {200}, []), 19: ("", CMS_PAGE, {200}, []), 20: ("", None, {200}, []),
    21: ("", CMS_BLOCK, {200}, []), 22: ("", CMS_BLOCK, {200}, []), 23: ("", None, {200}, []),
    24: (SC.replace("created_at", "source_code"), None, {200}, [("items", list), ("total_count", int)] + [
        (f"items[].{f}", object) for f in ("source_code", "name", "enabled")]),
    25: (SC.replace("created_at", "stock_id"), None, {200}, [("items", list), ("total_count", int),
                                                          ("items[].stock_id", int), ("items[].name", str)]),
    26: (SC.replace("created_at", "attribute_code") + "&fieldName=attribute_code", None, {200},
         [("items", list), ("total_count", int)] + [(f"items[].{f}", object) for f in (
             "attribute_code", "frontend_input", "is_required", "is_user_defined", "scope")]),
    27: (SC + "&fieldName=name", None, {200}, [("id", int), ("name", str), ("level", int), ("children_data", list)]),
    28: ("fieldName=name", None, {200}, [("", list), ("[].value", str), ("[].label", str)]),
    29: ("", {"option": {"label": "Contract Brand", "value": "contract_brand", "sort_order": 0}}, {200}, []),
    # Magento 2.4 has no PUT for one option (the oracle lists GET/POST and DELETE): its 404 passes through.
    30: ("", {"option": {"label": "Renamed", "value": "renamed"}}, {404}, [("message", str)]),
    31: ("", None, {200}, []),
    32: ("fieldName=name", None, {200}, [("categories", list), ("categories[].id", str), ("categories[].name", str)]),
    33: ("", {"categoryIds": ["3", "4"]}, {200}, []),
    34: ("fieldName=name", None, {200}, [("additional_attributes", list)] + [
        (f"additional_attributes[].{f}", object) for f in ("attribute_code", "label", "value")]),
    35: ("fieldName=name", None, {200}, [("[].name", str), ("[].value", int)]),
    36: ("fieldName=name", None, {200}, [("[].name", str), ("[].value", int)]),
    37: ("fieldName=name", None, {200}, [("[].name", str), ("[].value", int)]),
    38: ("fieldName=name", None, {200}, [("[].name", str), ("[].value", int), ("[].level", int),
                                         ("[].parent", (str, OPT))]),
    39: ("fieldName=name", None, {200}, [("[].attribute", str), ("[].value", NUM)]),
    40: ("fieldName=name", None, {200}, [("[].period", str), ("[].revenue", NUM), ("[].orders", int),
                                         ("[].customers", int)]),
    41: ("fieldName=name", None, {200}, [("[].category", str), ("[].inStock", int), ("[].lowStock", int),
                                         ("[].outOfStock", int), ("[].totalValue", NUM)]),
    42: ("page=1&pageSize=25&sortBy=vote_count&sortOrder=DESC", None, {200},
         [("success", bool), ("data", list), ("pagination.total", int)] + [(f"data[].{f}", object) for f in (
             "id", "title", "description", "category_name", "category_color", "priority", "status", "vote_count")]),
    43: ("", None, {200}, [("success", bool), ("data", list), ("data[].id", int), ("data[].name", str)]),
    44: ("user_id=current_user&feature_ids={feature}", None, {200}, [("success", bool), ("data", list)]),
    45: ("", {"vote_type": "upvote", "user_id": "contract-user", "user_email": None, "user_name": "Anonymous User"},
         {200, 201}, []),
    46: ("", {"user_id": "contract-user"}, {200}, []),
    47: ("", None, {200}, [("totalFeatures", int), ("byStatus", dict), ("byCategory", dict), ("recentActivity", list)]),
}


def _values(body: Any, path: str) -> list[Any]:
    """Values at `path` ("a.b", "a[].b", "[].b", "" = the body), one per element for [] segments."""
    values = [body]
    for part in [p for p in path.replace("[]", ".[]").split(".") if p]:
        nxt: list[Any] = []
        for value in values:
            if part == "[]":
                assert isinstance(value, list), f"{path}: not a list"
                nxt.extend(value)
            else:
                assert isinstance(value, dict) and part in value, f"{path}: {part!r} missing"
                nxt.append(value[part])
        values = nxt
    return values


def _check(label: str, status: int, payload: Any, statuses: set[int], checks: list[tuple[str, Any]],
           may_be_empty: bool = False) -> None:
    assert status in statuses, f"{label}: HTTP {status} {json.dumps(payload)[:300]}"
    for field, kind in checks:
        values = _values(payload, field)
        assert values or may_be_empty, f"{label}: {field}: empty list, nothing to check"
        for value in values:
            assert isinstance(value, kind), f"{label}: {field} is {type(value).__name__}"


@pytest.fixture
def walk_app(magento_app, tmp_path):
    from app.adapters.mdm.tables import mdm_engine
    from app.adapters.sql import create_engine_for
    from app.services.mdm.seed import seed_demo_data

    url = f"sqlite:///{tmp_path / 'mdm.sqlite3'}"
    engine = create_engine_for(url, name="mdm", connect_timeout=2, statement_timeout=30)
    seed_demo_data(mdm_engine(engine), products=40, sources=12)
    engine.dispose()
    app = magento_app(MDM_DATABASE_URL=url, LOGIN_RATE_LIMIT="1000 per minute",
                      APP_DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite3'}")
    assert build_snapshots(app).status == "succeeded"  # the charts serve snapshots
    return app


def test_every_live_frontend_call_gets_the_fields_it_reads(walk_app, auth, capsys):
    entries = [e for e in json.loads(CONTRACT.read_text()) if e["live"]]
    client = walk_app.test_client()
    adapter = walk_app.url_map.bind("localhost")
    ids: dict[str, Any] = {"sku": "1000001", "productId": "1", "featureId": None, "id": None, "optionId": None}
    prices = client.get("/api/mdm/prices", headers=auth("admin")).get_json().get("data", [])[:3]
    sources = client.get("/api/mdm/sources", headers=auth("admin")).get_json().get("data", [])
    client.post("/api/task/features", json={"title": "Contract walk feature"}, headers=auth("admin"))
    features = client.get("/api/task/features", headers=auth("admin")).get_json().get("data") or []
    ids["featureId"] = features[0]["id"] if features else None
    skipped, checked, failures = [], 0, {}
    for entry in entries:
        number, method = entry["id"], entry["method"]
        if number in NOT_API:
            skipped.append(f"{number} {entry['path']}: {NOT_API[number]}")
            continue
        assert number in CALLS, f"live entry {number} {method} {entry['path']} has no call in this walk"
        query, body, statuses, checks = CALLS[number]
        if number in (19, 20):
            ids["id"] = ids["cmsPage"]
        elif number in (22, 23):
            ids["id"] = ids["cmsBlock"]
        if "{featureId}" in entry["path"] and ids["featureId"] is None:
            skipped.append(f"{number} {entry['path']}: no feature to vote on")
            continue
        path = entry["path"]
        for name, value in ids.items():
            path = path.replace("{" + name + "}", str(value))
        try:
            adapter.match(path, method=method)
        except (NotFound, MethodNotAllowed):
            skipped.append(f"{number} {method} {entry['path']}: route not registered yet")
            continue
        if isinstance(body, str):
            body = {"PRICES": prices, "SOURCE": sources[0] if sources else {}}.get(body, body)
        query = query.replace("{feature}", str(ids["featureId"] or 1))
        resp = client.open(path, method=method, query_string=query, json=body, headers=auth("admin"))
        label = f"#{number} {entry['area']} {method} {path}"
        payload = resp.get_json(silent=True)
        try:
            _check(label, resp.status_code, payload, statuses, checks, may_be_empty=number in MAY_BE_EMPTY)
        except AssertionError as exc:
            failures[number] = str(exc).splitlines()[0]
            continue
        if number == 18:
            ids["cmsPage"] = payload["id"]
        elif number == 21:
            ids["cmsBlock"] = payload["id"]
        elif number == 29:
            ids["optionId"] = payload
        checked += 1
    known = {n: failures.pop(n) for n in list(failures) if n in KNOWN_GAPS}
    with capsys.disabled():
        print(f"\nfrontend contract: {checked} live calls pass; skipped: {skipped or 'none'}")
        for number, message in known.items():
            print(f"  known gap #{number}: {KNOWN_GAPS[number]}\n    -> {message}")
        for number in sorted(set(KNOWN_GAPS) - set(known)):
            print(f"  known gap #{number} now passes: remove it from KNOWN_GAPS")
    assert not failures, "\n".join(failures.values())
    assert checked >= 40
