"""Counters stay equal to user_votes under parallel requests: threads on one app, and a real Gunicorn."""
from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from app.security import Role, issue_access_token
from config.current import get_settings
from tests.support.servers import GunicornServer
from tests.voting.conftest import make_feature, tally

VOTERS = 24
ROUNDS = 6


def _actions(seed: int) -> list[tuple[str, str]]:
    """Each voter's random sequence of vote/switch/unvote requests (deterministic per seed)."""
    rng = random.Random(seed)
    return [rng.choice([("POST", "upvote"), ("POST", "downvote"), ("DELETE", "")]) for _ in range(ROUNDS)]


def _final(actions: list[tuple[str, str]]) -> str | None:
    vote = None
    for method, kind in actions:
        vote = kind if method == "POST" else None
    return vote


def _expected(plans: dict[str, list[tuple[str, str]]]) -> dict[str, int]:
    finals = [_final(actions) for actions in plans.values()]
    up, down = finals.count("upvote"), finals.count("downvote")
    return {"upvotes": up, "downvotes": down, "vote_count": up - down}


def test_parallel_voters_on_one_app_keep_counts_exact(vapp, auth):
    client = vapp.test_client()
    fid = make_feature(client, auth)["id"]
    secret = get_settings(vapp).auth.secret_key
    plans = {f"voter{i}": _actions(i) for i in range(VOTERS)}

    def run(name: str) -> list[int]:
        own = vapp.test_client()  # a client per thread; the app (engine, pool) is shared
        headers = {"Authorization": f"Bearer {issue_access_token(name, Role.VIEWER, secret)}"}
        statuses = []
        for method, kind in plans[name]:
            body = {"vote_type": kind, "user_id": "someone-else"} if kind else {"user_id": "someone-else"}
            statuses.append(own.open(f"/api/task/features/{fid}/vote", method=method, json=body,
                                     headers=headers).status_code)
        return statuses
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = [s for result in pool.map(run, plans) for s in result]
    assert set(statuses) == {200}
    feature = client.get(f"/api/task/features/{fid}", headers=auth("viewer")).get_json()["data"]
    stored = {k: feature[k] for k in ("upvotes", "downvotes", "vote_count")}
    assert stored == tally(vapp, fid) == _expected(plans)


def test_one_user_hammering_one_feature_keeps_a_single_vote(vapp, auth):
    client = vapp.test_client()
    fid = make_feature(client, auth)["id"]
    url = f"/api/task/features/{fid}/vote"
    kinds = ["upvote", "downvote"] * 15

    def vote(kind: str) -> int:
        return vapp.test_client().post(url, json={"vote_type": kind}, headers=auth("viewer")).status_code
    with ThreadPoolExecutor(max_workers=10) as pool:
        assert set(pool.map(vote, kinds)) == {200}
    truth = tally(vapp, fid)
    assert truth["upvotes"] + truth["downvotes"] == 1  # the unique constraint: one row for this user
    feature = client.get(f"/api/task/features/{fid}", headers=auth("viewer")).get_json()["data"]
    assert {k: feature[k] for k in truth} == truth


@pytest.mark.slow
def test_parallel_votes_through_a_multi_process_gunicorn(vapp, auth, db_url):
    """Two Gunicorn workers x 4 threads share the database; counters must still match user_votes."""
    client = vapp.test_client()
    fid = make_feature(client, auth)["id"]
    secret = get_settings(vapp).auth.secret_key
    plans = {f"proc-voter{i}": _actions(100 + i) for i in range(VOTERS)}
    with GunicornServer(workers=2, env={"APP_DATABASE_URL": db_url, "RATE_LIMIT_ENABLED": "false",
                                        "SECRET_KEY": secret}) as server:
        def run(name: str) -> list[int]:
            headers = {"Authorization": f"Bearer {issue_access_token(name, Role.VIEWER, secret)}"}
            with httpx.Client(base_url=server.base_url, timeout=30) as http:
                return [http.request(method, f"/api/task/features/{fid}/vote", headers=headers,
                                     json={"vote_type": kind} if kind else {"user_id": name}).status_code
                        for method, kind in plans[name]]
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = [s for result in pool.map(run, plans) for s in result]
        assert set(statuses) == {200}, server.log()[-3000:]
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            served = http.get(f"/api/task/features/{fid}", headers=server.headers("viewer")).json()["data"]
    assert {k: served[k] for k in ("upvotes", "downvotes", "vote_count")} == tally(vapp, fid) == _expected(plans)
