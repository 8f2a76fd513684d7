"""Every live voting call of the React frontend answers the fields it reads, with the types it expects."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.voting.conftest import make_category, make_feature

CONTRACT = Path("/work/shared/reference/frontend-contract.json")
if not CONTRACT.exists():  # the reference lives beside the repository in the project workspace
    CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "reference" / "frontend-contract.json"
STATUSES = {"proposed", "approved", "in_progress", "completed", "rejected", "on_hold"}
FEATURE_TYPES = {"id": int, "title": str, "description": str, "category_name": str, "category_color": str,
                 "category": str, "priority": str, "status": str, "vote_count": int, "target_release": str}


def _live_voting_entries() -> list[dict]:
    if not CONTRACT.exists():
        pytest.skip("frontend-contract.json is not available")
    return [e for e in json.loads(CONTRACT.read_text()) if e["area"] == "voting" and e["live"]]


def _feature_fields(reads: list[str]) -> list[str]:
    for line in reads:
        match = re.search(r"feature fields: ([\w ,()'|]+)", line)
        if match:
            return [re.sub(r"\s*\(.*", "", part).strip() for part in match.group(1).split(",")]
    return []


def _assert_feature(feature: dict, fields: list[str]) -> None:
    for name in fields:
        assert name in feature, f"feature lacks {name}"
        assert isinstance(feature[name], FEATURE_TYPES.get(name, object)), f"{name}: {feature[name]!r}"
    assert feature["status"] in STATUSES and feature["priority"] in {"low", "medium", "high"}


def _call(client, headers, entry: dict, feature_id: int):
    path = entry["path"].replace("{featureId}", str(feature_id))
    if entry["method"] == "GET" and path == "/api/task/features":
        return client.get(path + "?page=1&pageSize=25&sortBy=vote_count&sortOrder=DESC&category=&status=",
                          headers=headers)
    if path == "/api/task/user-votes":
        return client.get(f"{path}?user_id=current_user&feature_ids={feature_id}", headers=headers)
    if entry["method"] == "POST":  # the body exactly as votingApiService sends it
        return client.post(path, json={"vote_type": "upvote", "user_id": "anonymous", "user_email": None,
                                       "user_name": "Anonymous User"}, headers=headers)
    if entry["method"] == "DELETE":
        return client.delete(path, json={"user_id": "anonymous"}, headers=headers)
    return client.get(path, headers=headers)


def test_the_six_live_calls_answer_what_the_frontend_reads(sapp, auth):
    entries = _live_voting_entries()
    assert {(e["method"], e["path"]) for e in entries} == {
        ("GET", "/api/task/features"), ("GET", "/api/task/categories"), ("GET", "/api/task/user-votes"),
        ("POST", "/api/task/features/{featureId}/vote"), ("DELETE", "/api/task/features/{featureId}/vote"),
        ("GET", "/api/voting/roadmap")}
    client = sapp.test_client()
    category = make_category(sapp, "Dashboard", "#9c27b0")
    feature = make_feature(client, auth, category_id=category, target_release="2.1")["id"]
    # Order matters: vote before user-votes reads, so the read has a row; unvote last.
    order = ["POST", "GET", "DELETE"]
    for entry in sorted(entries, key=lambda e: order.index(e["method"])):
        resp = _call(client, auth("viewer"), entry, feature)
        assert resp.status_code == 200, (entry["path"], resp.get_json())
        body = resp.get_json()
        reads = entry["reads"]
        for line in reads:  # every response.data.<path> the frontend dereferences exists
            for dotted in re.findall(r"response\.data((?:\.\w+)+)", line):
                node = body
                for key in dotted.strip(".").split("."):
                    assert isinstance(node, dict) and key in node, f"{entry['path']}: missing {dotted}"
                    node = node[key]
        fields = _feature_fields(reads)
        path = entry["path"]
        if path == "/api/task/features" and entry["method"] == "GET":
            assert body["success"] is True and isinstance(body["message"], str)
            assert isinstance(body["data"], list) and isinstance(body["pagination"]["total"], int)
            assert body["data"], "the created feature is listed"
            for item in body["data"]:
                _assert_feature(item, fields)
        elif path == "/api/task/categories":
            assert body["success"] is True
            assert [(c["id"], c["name"], c["color"]) for c in body["data"]] == [(category, "Dashboard", "#9c27b0")]
        elif path == "/api/task/user-votes":
            assert body["success"] is True
            assert body["data"] == [{**body["data"][0], "feature_id": feature, "vote_type": "upvote"}]
        elif path == "/api/voting/roadmap":
            assert "success" not in body, "the roadmap is a bare object"
            assert isinstance(body["totalFeatures"], int) and body["totalFeatures"] == 1
            assert set(body["byStatus"]) == STATUSES
            assert all(isinstance(v, list) for v in body["byStatus"].values())
            for item in body["byStatus"]["proposed"] + body["byCategory"]["Dashboard"]:
                _assert_feature(item, fields)
            activity = body["recentActivity"][0]
            assert {"title", "status", "updated_date"} <= set(activity)
            assert isinstance(activity["updated_date"], str) and activity["status"] in STATUSES
        else:  # vote / unvote: the frontend reads the status (and message on errors)
            assert body["success"] is True and isinstance(body["message"], str)


def test_roadmap_answers_every_status_even_with_no_features(sapp, auth):
    body = sapp.test_client().get("/api/voting/roadmap", headers=auth("viewer")).get_json()
    assert body == {"totalFeatures": 0, "byStatus": {s: [] for s in STATUSES}, "byCategory": {},
                    "recentActivity": []}


def test_bare_aliases_answer_arrays_and_objects(sapp, auth):
    client = sapp.test_client()
    feature = make_feature(client, auth)
    listed = client.get("/api/voting/features?status=proposed", headers=auth("viewer")).get_json()
    assert isinstance(listed, list) and listed[0]["id"] == feature["id"] and "vote_count" in listed[0]
    assert client.post(f"/api/voting/features/{feature['id']}/vote", json={"userId": "x"},
                       headers=auth("viewer")).get_json()["vote_count"] == 1
    assert client.get("/api/voting/votes/user?userId=x", headers=auth("viewer")).get_json()[0]["feature_id"] == \
        feature["id"]
    assert client.delete(f"/api/voting/features/{feature['id']}/vote", json={"userId": "x"},
                         headers=auth("viewer")).get_json()["vote_count"] == 0
    created = client.post("/api/voting/features", json={"title": "Bare create", "category": None},
                          headers=auth("admin"))
    assert created.status_code == 201 and created.get_json()["title"] == "Bare create"
