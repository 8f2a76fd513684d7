"""Login end to end against the sandbox: our token issued, accepted, expiring; wrong passwords never lock Magento."""
from __future__ import annotations

import time

import httpx

from tests.magento_api.conftest import FAST_FAIL
from tests.support.sandbox import ADMIN, PERSON

WRONG = {"username": ADMIN["username"], "password": "not-the-password"}


def test_login_issues_a_token_the_api_accepts(magento_app, sandbox_calls):
    client = magento_app(LOGIN_ROLES={"admin": "admin"}).test_client()
    resp = client.post("/api/auth/login", json=ADMIN)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["success"] is True and body["role"] == "admin" and body["tokenType"] == "Bearer"
    assert body["expiresIn"] > 0 and body["username"] == "admin"
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/magento/store/storeConfigs", headers=headers).status_code == 200
    assert client.put("/api/magento/products/1000001", json={"product": {"name": "by login"}},
                      headers=headers).status_code == 200


def test_the_frontend_login_route_answers_the_token_as_a_json_string(magento_app):
    client = magento_app().test_client()
    resp = client.post("/api/magento/integration/admin/token", json=ADMIN)
    assert resp.status_code == 200 and isinstance(resp.get_json(), str)
    headers = {"Authorization": f"Bearer {resp.get_json()}"}
    assert client.get("/api/magento/store/storeConfigs", headers=headers).status_code == 200
    # LOGIN_DEFAULT_ROLE is viewer: writes are refused.
    assert client.put("/api/magento/products/1000001", json={"product": {"name": "x"}},
                      headers=headers).status_code == 403


def test_an_expired_login_token_is_refused(magento_app):
    client = magento_app(ACCESS_TOKEN_TTL=1).test_client()
    token = client.post("/api/auth/login", json=ADMIN).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/magento/store/storeConfigs", headers=headers).status_code == 200
    time.sleep(2.2)
    resp = client.get("/api/magento/store/storeConfigs", headers=headers)
    assert resp.status_code == 401 and resp.get_json()["error"] == "unauthorized"


def test_wrong_password_is_401_and_never_locks_the_integration_user(magento_app, sandbox_url, sandbox_calls):
    client = magento_app(LOGIN_RATE_LIMIT="100 per minute").test_client()
    statuses = [client.post("/api/auth/login", json=WRONG).status_code for _ in range(8)]
    assert statuses[:3] == [401] * 3 and set(statuses[3:]) == {429}  # the per-user guard, before Magento's 6
    body = client.post("/api/magento/integration/admin/token", json=WRONG).get_json()
    assert body["success"] is False and body["message"]
    # The integration user's wrong passwords never reached Magento, so Magento locked nothing.
    assert sandbox_calls("POST /V1/integration/admin/token") == 0
    direct = httpx.post(f"{sandbox_url}/rest/V1/integration/admin/token", json=ADMIN, timeout=5)
    assert direct.status_code == 200


def test_other_users_are_checked_by_magento_and_stopped_before_its_lockout(magento_app, sandbox_calls):
    client = magento_app(LOGIN_RATE_LIMIT="100 per minute").test_client()
    someone = {"username": "someone", "password": "guess"}
    first = client.post("/api/auth/login", json=someone)
    assert first.status_code == 401 and first.get_json()["error"] == "unauthorized"
    statuses = [client.post("/api/auth/login", json=someone).status_code for _ in range(6)]
    assert statuses == [401, 401, 429, 429, 429, 429]
    assert sandbox_calls("POST /V1/integration/admin/token") == 3  # below Magento's 6


def test_spellings_of_the_integration_user_are_checked_locally_and_share_one_budget(magento_app, control):
    client = magento_app(LOGIN_RATE_LIMIT="100 per minute").test_client()
    spellings = ["Admin", " admin", "ADMIN\t", "ＡＤＭＩＮ", "Ädmin", "ad\u200bmin", "admin"]
    statuses = [client.post("/api/auth/login", json={"username": u, "password": "x"}).status_code for u in spellings]
    assert statuses == [401, 401, 401, 429, 429, 429, 429]
    assert control.get("auth").json() == {}  # Magento saw no token request at all
    blocked = client.post("/api/auth/login", json=ADMIN)  # even the right password waits for the window
    assert blocked.status_code == 429 and 1700 < int(blocked.headers["Retry-After"]) <= 1800


def test_the_integration_user_logs_in_under_any_spelling_and_gets_its_role(magento_app, control):
    client = magento_app(LOGIN_ROLES={"ADMIN": "admin"}).test_client()
    body = client.post("/api/auth/login", json={"username": " Admin ", "password": ADMIN["password"]}).get_json()
    assert body["success"] is True and body["username"] == "admin" and body["role"] == "admin"
    assert control.get("auth").json() == {}


def test_a_person_is_checked_by_magento_and_a_success_clears_the_failures(magento_app, control):
    client = magento_app(LOGIN_RATE_LIMIT="100 per minute", LOGIN_ROLES={"alice": "operator"}).test_client()
    wrong = {"username": "ALICE", "password": "nope"}
    assert [client.post("/api/auth/login", json=wrong).status_code for _ in range(2)] == [401, 401]
    ok = client.post("/api/auth/login", json={"username": " Alice", "password": PERSON["password"]})
    assert ok.status_code == 200 and ok.get_json()["role"] == "operator" and ok.get_json()["username"] == "alice"
    # cleared: three more wrong ones reach Magento before the budget refuses
    assert [client.post("/api/auth/login", json=wrong).status_code for _ in range(4)] == [401, 401, 401, 429]
    alice = control.get("auth").json()["alice"]
    assert alice == {"requests": 6, "refused": 5, "failures": 3, "locked": False}


def test_magento_unreachable_gives_the_slot_back(magento_app, fault):
    client = magento_app(LOGIN_RATE_LIMIT="100 per minute", **FAST_FAIL).test_client()
    fault(status=503)
    person = {"username": PERSON["username"], "password": "whatever"}
    assert [client.post("/api/auth/login", json=person).status_code for _ in range(5)] == [503] * 5


def test_every_answer_takes_at_least_the_login_floor(magento_app):
    client = magento_app(LOGIN_RATE_LIMIT="100 per minute", LOGIN_MIN_SECONDS=0.3).test_client()
    cases = [ADMIN, {"username": "Admin", "password": "x"}, PERSON, {"username": "nobody", "password": "x"}]
    for body in cases + [{"username": "nobody", "password": "x"}] * 3:  # the last one is a budget refusal
        started = time.monotonic()
        status = client.post("/api/auth/login", json=body).status_code
        assert time.monotonic() - started >= 0.3, (body, status)
    assert status == 429


def test_login_is_rate_limited_per_client(magento_app):
    client = magento_app(LOGIN_RATE_LIMIT="3 per minute").test_client()
    statuses = [client.post("/api/auth/login", json=ADMIN).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.post("/api/auth/login", json=ADMIN).get_json()["error"] == "rate_limited"


def test_missing_fields_are_a_400_naming_them(magento_app):
    resp = magento_app().test_client().post("/api/auth/login", json={"username": "admin"})
    assert resp.status_code == 400 and "password" in resp.get_json()["details"]


def test_magento_down_at_login_is_a_503(magento_app, fault):
    client = magento_app(**FAST_FAIL).test_client()
    fault(status=503)
    resp = client.post("/api/auth/login", json={"username": "someone", "password": "x"})
    # A sign-in is not replayed (it counts towards Magento's lockout): the gateway's 503 is final.
    assert resp.status_code == 503 and resp.get_json()["success"] is False
