"""Voting API behaviour on SQLite, PostgreSQL and MariaDB: votes, filters, roles, 404s, 400s, identity."""
from __future__ import annotations

import pytest

from app.security import Role
from tests.voting.conftest import make_category, make_feature, tally


def test_one_vote_per_user_same_type_is_a_noop_other_type_switches(vapp, auth):
    client = vapp.test_client()
    fid = make_feature(client, auth)["id"]
    url = f"/api/task/features/{fid}/vote"
    first = client.post(url, json={"vote_type": "upvote"}, headers=auth("viewer")).get_json()["data"]
    again = client.post(url, json={"vote_type": "upvote"}, headers=auth("viewer")).get_json()["data"]
    switched = client.post(url, json={"vote_type": "downvote"}, headers=auth("viewer")).get_json()["data"]
    assert (first["changed"], first["vote_count"], first["upvotes"]) == (True, 1, 1)
    assert (again["changed"], again["vote_count"]) == (False, 1)
    assert (switched["changed"], switched["vote_count"], switched["upvotes"], switched["downvotes"]) == \
        (True, -1, 0, 1)
    removed = client.delete(url, json={"user_id": "whoever"}, headers=auth("viewer")).get_json()["data"]
    noop = client.delete(url, headers=auth("viewer"))
    assert (removed["changed"], removed["vote_type"], removed["vote_count"]) == (True, None, 0)
    assert noop.status_code == 200 and noop.get_json()["data"]["changed"] is False
    assert tally(vapp, fid) == {"upvotes": 0, "downvotes": 0, "vote_count": 0}


def test_the_voter_is_the_token_subject_never_the_body(vapp, auth, user_token):
    client = vapp.test_client()
    fid = make_feature(client, auth)["id"]
    alice, bob = user_token(vapp, "alice"), user_token(vapp, "bob")
    client.post(f"/api/task/features/{fid}/vote", json={"vote_type": "upvote", "user_id": "bob"}, headers=alice)
    client.post(f"/api/task/features/{fid}/vote", json={"vote_type": "upvote", "user_id": "alice"}, headers=bob)
    assert client.get(f"/api/task/features/{fid}", headers=alice).get_json()["data"]["vote_count"] == 2
    mine = client.get("/api/task/user-votes?user_id=bob", headers=alice).get_json()["data"]
    assert [(v["feature_id"], v["vote_type"]) for v in mine] == [(fid, "upvote")]
    client.delete(f"/api/task/features/{fid}/vote", json={"user_id": "alice"}, headers=bob)  # bob's own vote
    assert client.get("/api/task/user-votes", headers=alice).get_json()["data"] != []
    assert client.get("/api/task/user-votes", headers=bob).get_json()["data"] == []
    comment = client.post(f"/api/task/features/{fid}/comments", json={"comment": "Yes please", "user_id": "bob",
                                                                       "user_name": "Bob"}, headers=alice)
    assert comment.status_code == 201 and comment.get_json()["data"]["user_id"] == "alice"
    created = make_feature(client, lambda _role: user_token(vapp, "carol", Role.ADMIN), created_by="mallory")
    assert created["created_by"] == "carol"


def test_filters_sort_search_and_paging(vapp, auth):
    client = vapp.test_client()
    ui = make_category(vapp, "UI")
    data = make_category(vapp, "Data")
    make_feature(client, auth, title="Dark mode", category_id=ui, priority="low")
    make_feature(client, auth, title="100% faster sync", category="data", priority="high", status="approved")
    make_feature(client, auth, title="Bulk export", category_id=data, description="CSV and Excel")
    h = auth("viewer")

    def titles(query: str) -> list[str]:
        body = client.get("/api/task/features?" + query, headers=h).get_json()
        assert body["success"] is True
        return [f["title"] for f in body["data"]]
    assert titles(f"category={data}&sortBy=title&sortOrder=asc") == ["100% faster sync", "Bulk export"]
    assert titles("status=approved") == ["100% faster sync"]
    assert titles("priority=low&status=all&category=") == ["Dark mode"]
    assert titles("search=excel") == ["Bulk export"]
    assert titles("search=%25") == ["100% faster sync"]  # LIKE wildcards are escaped
    assert titles("sortBy=priority&sortOrder=DESC") == ["100% faster sync", "Bulk export", "Dark mode"]
    page = client.get("/api/task/features?page=2&pageSize=2&sortBy=title&sortOrder=ASC", headers=h).get_json()
    assert [f["title"] for f in page["data"]] == ["Dark mode"]
    assert page["pagination"] == {"total": 3, "page": 2, "pageSize": 2, "totalPages": 2}
    cats = client.get("/api/task/categories", headers=h).get_json()["data"]
    assert {c["name"]: c["feature_count"] for c in cats} == {"UI": 1, "Data": 2}


def test_status_changes_feed_the_roadmap_and_release_notes(vapp, auth):
    client = vapp.test_client()
    cat = make_category(vapp, "Sync")
    one = make_feature(client, auth, title="Feature one", category_id=cat)["id"]
    two = make_feature(client, auth, title="Feature two")["id"]
    resp = client.put(f"/api/voting/features/{one}/status", json={"status": "completed", "target_release": "2.1",
                                                                  "note": "extra fields are ignored"},
                      headers=auth("admin"))
    assert resp.status_code == 200 and resp.get_json()["status"] == "completed"
    updated = client.put(f"/api/task/features/{two}", json={"priority": "high", "vote_count": 999, "id": 5},
                         headers=auth("admin")).get_json()["data"]
    assert (updated["priority"], updated["vote_count"], updated["id"]) == ("high", 0, two)
    roadmap = client.get("/api/voting/roadmap", headers=auth("viewer")).get_json()
    assert [f["id"] for f in roadmap["byStatus"]["completed"]] == [one]
    assert set(roadmap["byCategory"]) == {"Sync", "Uncategorized"}
    assert [a["title"] for a in roadmap["recentActivity"]] == ["Feature two", "Feature one"]
    notes = client.get("/api/voting/release-notes", headers=auth("viewer")).get_json()
    assert [(n["version"], [f["id"] for f in n["features"]]) for n in notes] == [("2.1", [one])]
    stats = client.get("/api/task/stats", headers=auth("viewer")).get_json()["data"]
    assert stats["totalFeatures"] == 2 and stats["byStatus"]["completed"] == 1
    comments = client.get(f"/api/task/features/{one}/comments", headers=auth("viewer")).get_json()
    assert comments == {"success": True, "data": []}


FEATURE_ROUTES = [("GET", "/api/task/features/{id}", None), ("PUT", "/api/task/features/{id}", {"title": "Abc"}),
                  ("POST", "/api/task/features/{id}/vote", {"vote_type": "upvote"}),
                  ("DELETE", "/api/task/features/{id}/vote", {"user_id": "x"}),
                  ("GET", "/api/task/features/{id}/comments", None),
                  ("POST", "/api/task/features/{id}/comments", {"comment": "hi"}),
                  ("POST", "/api/voting/features/{id}/vote", {}), ("DELETE", "/api/voting/features/{id}/vote", {}),
                  ("PUT", "/api/voting/features/{id}/status", {"status": "approved"})]


@pytest.mark.parametrize("method,path,body", FEATURE_ROUTES)
def test_unknown_or_malformed_feature_ids_are_404_envelopes(sapp, auth, method, path, body):
    client = sapp.test_client()
    for bad in ("424242", "abc", "0", "-1", "99999999999"):
        resp = client.open(path.replace("{id}", bad), method=method, json=body, headers=auth("admin"))
        assert resp.status_code == 404, (bad, resp.get_json())
        assert resp.get_json()["success"] is False and resp.get_json()["error"] == "not_found"


@pytest.mark.parametrize("method,path,body,field", [
    ("POST", "/api/task/features/{id}/vote", {"vote_type": "sideways"}, "vote_type"),
    ("POST", "/api/task/features", {"description": "no title"}, "title"),
    ("POST", "/api/task/features", {"title": "Okay", "priority": "urgent"}, "priority"),
    ("POST", "/api/task/features", {"title": "Okay", "category": "Nope"}, "category"),
    ("POST", "/api/task/features", {"title": "Okay", "category_id": 777}, "category_id"),
    ("PUT", "/api/task/features/{id}", {"status": "done"}, "status"),
    ("PUT", "/api/voting/features/{id}/status", {"target_release": "3"}, "status"),
    ("POST", "/api/task/features/{id}/comments", {"comment": ""}, "comment"),
    ("GET", "/api/task/user-votes?feature_ids=1,x", None, "feature_ids"),
    ("GET", "/api/task/features?pageSize=0", None, "pageSize"),
    ("GET", "/api/task/features?sortBy=password", None, "sortBy"),
    ("GET", "/api/task/features?status=done", None, "status"),
])
def test_bad_input_is_a_400_envelope_naming_the_field(sapp, auth, method, path, body, field):
    client = sapp.test_client()
    fid = make_feature(client, auth)["id"]
    resp = client.open(path.replace("{id}", str(fid)), method=method, json=body, headers=auth("admin"))
    payload = resp.get_json()
    assert resp.status_code == 400, payload
    assert payload["error"] == "invalid_input" and field in payload["details"], payload


def test_malformed_json_on_vote_is_400(sapp, auth):
    client = sapp.test_client()
    fid = make_feature(client, auth)["id"]
    resp = client.post(f"/api/task/features/{fid}/vote", data="{oops", content_type="application/json",
                       headers=auth("viewer"))
    assert resp.status_code == 400 and resp.get_json()["error"] == "malformed_json"


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/api/task/features", {"title": "Viewer idea"}),
    ("PUT", "/api/task/features/{id}", {"title": "Renamed"}),
    ("POST", "/api/voting/features", {"title": "Viewer idea"}),
    ("PUT", "/api/voting/features/{id}/status", {"status": "approved"}),
])
def test_viewers_and_operators_cannot_create_or_change_features(sapp, auth, method, path, body):
    client = sapp.test_client()
    fid = make_feature(client, auth)["id"]
    for role in ("viewer", "operator"):
        resp = client.open(path.replace("{id}", str(fid)), method=method, json=body, headers=auth(role))
        assert resp.status_code == 403 and resp.get_json()["error"] == "forbidden"
    feature = client.get(f"/api/task/features/{fid}", headers=auth("viewer")).get_json()["data"]
    assert (feature["title"], feature["status"]) == ("A feature to vote on", "proposed")


def test_the_delete_body_is_documented_and_errors_use_the_envelope(sapp):
    spec = sapp.extensions["api"].spec.to_dict()
    delete = spec["paths"]["/api/task/features/{feature_id}/vote"]["delete"]
    assert "application/json" in delete["requestBody"]["content"]
    assert delete["requestBody"].get("required") is not True
    assert {"400", "401", "404", "409", "503"} <= set(map(str, delete["responses"]))
    roadmap = spec["paths"]["/api/voting/roadmap"]["get"]["responses"]["200"]["content"]["application/json"]
    assert "Roadmap" in roadmap["schema"]["$ref"]
