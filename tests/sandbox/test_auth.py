"""Admin token behaviour: bare string, expiry, one 401 body for every token problem, lockout."""
from __future__ import annotations

import time

import httpx

from tests.sandbox.conftest import ADMIN

ACL_401 = {"message": "The consumer isn't authorized to access %resources.",
           "parameters": {"resources": "Magento_Catalog::products"}}
SIGN_IN = ("The account sign-in was incorrect or your account is disabled temporarily. "
           "Please wait and try again later.")
PAGE = {"searchCriteria[pageSize]": "1"}


def test_missing_bad_and_expired_tokens_get_the_same_401_body(rest: httpx.Client, control: httpx.Client,
                                                              admin_token: str) -> None:
    missing = rest.get("V1/products", params=PAGE)
    bad = rest.get("V1/products", params=PAGE, headers={"Authorization": "Bearer nope"})
    assert rest.get("V1/products", params=PAGE, headers={"Authorization": f"Bearer {admin_token}"}).status_code == 200
    control.post("faults", json={"token_ttl_s": 0.2})
    time.sleep(0.3)
    expired = rest.get("V1/products", params=PAGE, headers={"Authorization": f"Bearer {admin_token}"})
    for resp in (missing, bad, expired):
        assert resp.status_code == 401 and resp.json() == ACL_401


def test_a_fresh_token_works_after_expiry(rest: httpx.Client, control: httpx.Client) -> None:
    control.post("faults", json={"token_ttl_s": 0.2})
    first = rest.post("V1/integration/admin/token", json=ADMIN).json()
    time.sleep(0.3)
    assert rest.get("V1/products", params=PAGE, headers={"Authorization": f"Bearer {first}"}).status_code == 401
    control.post("faults", json={"token_ttl_s": 60})
    second = rest.post("V1/integration/admin/token", json=ADMIN).json()
    assert second != first
    assert rest.get("V1/products", params=PAGE, headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_six_failures_lock_the_account_even_for_the_right_password(rest: httpx.Client) -> None:
    for _ in range(6):
        resp = rest.post("V1/integration/admin/token", json={"username": "admin", "password": "wrong"})
        assert resp.status_code == 401 and resp.json() == {"message": SIGN_IN}
    locked = rest.post("V1/integration/admin/token", json=ADMIN)
    assert locked.status_code == 401 and locked.json() == {"message": SIGN_IN}


def test_five_failures_then_success_resets_the_counter(rest: httpx.Client) -> None:
    for _ in range(5):
        rest.post("V1/integration/admin/token", json={"username": "admin", "password": "wrong"})
    assert rest.post("V1/integration/admin/token", json=ADMIN).status_code == 200
    for _ in range(5):
        rest.post("V1/integration/admin/token", json={"username": "admin", "password": "wrong"})
    assert rest.post("V1/integration/admin/token", json=ADMIN).status_code == 200


def test_missing_credentials_are_required_field_errors(rest: httpx.Client) -> None:
    one = rest.post("V1/integration/admin/token", json={"username": "admin"})
    assert one.status_code == 400
    assert one.json() == {"message": '"%fieldName" is required. Enter and try again.',
                          "parameters": {"fieldName": "password"}}
    both = rest.post("V1/integration/admin/token", json={})
    assert both.status_code == 400 and both.json()["message"] == "One or more input exceptions have occurred."
    assert [e["parameters"]["fieldName"] for e in both.json()["errors"]] == ["username", "password"]


def test_lockout_clock_expires(sandbox_server: str) -> None:
    """Unit-level: the throttle releases after lockout_s (injected clock, no sleeping)."""
    from magento_sandbox.auth import TokenStore
    from magento_sandbox.errors import MagentoError

    now = [1000.0]
    store = TokenStore("admin", "pw", ttl_s=lambda: 10, lockout_failures=6, lockout_s=1800, clock=lambda: now[0])
    for _ in range(6):
        try:
            store.issue("admin", "bad")
        except MagentoError:
            pass
    try:
        store.issue("admin", "pw")
        raise AssertionError("should be locked")
    except MagentoError as exc:
        assert exc.status == 401
    now[0] += 1800
    token = store.issue("admin", "pw")
    assert store.is_valid(token)
    now[0] += 10
    assert not store.is_valid(token)
