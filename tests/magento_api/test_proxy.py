"""The authenticated proxy against the live sandbox: passthrough, query bytes, cache and invalidation, no token leak."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from app.adapters.cache import get_cache
from app.services.magento import proxy
from magento_sandbox import SandboxOptions, start_sandbox_thread
from tests.magento_api.conftest import SANDBOX_SETTINGS
from tests.support.sandbox import ADMIN
from tests.support.snapshots import build_snapshots

BRACKETED = (b"searchCriteria[filter_groups][0][filters][0][field]=sku&searchCriteria[filter_groups][0][filters][0]"
             b"[value]=1000001&searchCriteria[filter_groups][0][filters][0][condition_type]=eq"
             b"&searchCriteria[pageSize]=5&searchCriteria[currentPage]=1&fieldName=name")


class RawQueryRecorder:
    """WSGI middleware in front of a sandbox: remembers the raw request target of every /rest/ call."""

    def __init__(self, app) -> None:
        self.app = app
        self.targets: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/rest/"):
            with self.lock:
                self.targets.append(environ.get("RAW_URI") or environ.get("REQUEST_URI", ""))
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def recording_sandbox() -> Iterator[tuple[str, RawQueryRecorder]]:
    server = start_sandbox_thread("127.0.0.1", 0, options=SandboxOptions(
        products=30, seed=3, consumer_delay_s=None, admin_username=ADMIN["username"],
        admin_password=ADMIN["password"]))
    recorder = RawQueryRecorder(server.app.wsgi_app)
    server.app.wsgi_app = recorder
    try:
        yield server.url, recorder
    finally:
        server.stop()


def test_magento_404_status_and_body_pass_through(mclient, auth):
    resp = mclient.get("/api/magento/products/NO-SUCH-SKU", headers=auth("viewer"))
    assert resp.status_code == 404
    assert resp.get_json() == {"message": "The product that was requested doesn't exist. Verify the product "
                                          "and try again."}


def test_magento_400_status_and_body_pass_through(mclient, auth):
    resp = mclient.get("/api/magento/products", headers=auth("viewer"))  # no searchCriteria at all
    assert resp.status_code == 400
    assert resp.get_json() == {"message": '"%fieldName" is required. Enter and try again.',
                               "parameters": {"fieldName": "searchCriteria"}}


def test_bracketed_query_string_reaches_magento_byte_for_byte(make_app, recording_sandbox, auth):
    url, recorder = recording_sandbox
    client = make_app(MAGENTO_URL=url, **SANDBOX_SETTINGS).test_client()
    resp = client.get("/api/magento/products", query_string=BRACKETED.decode(), headers=auth("viewer"))
    assert resp.status_code == 200 and [i["sku"] for i in resp.get_json()["items"]] == ["1000001"]
    assert recorder.targets[-1] == "/rest/default/V1/products?" + BRACKETED.decode()


def test_prefix_rules_and_slashes_are_normalised(make_app, recording_sandbox, auth):
    url, recorder = recording_sandbox
    client = make_app(MAGENTO_URL=url, **SANDBOX_SETTINGS).test_client()
    recorder.targets.clear()
    for path in ("store//storeConfigs", "store//storeConfigs/", "V1/store/storeConfigs", "rest/V1/store/storeConfigs"):
        resp = client.get(f"/api/magento/{path}", headers=auth("viewer"))
        assert resp.status_code == 200 and isinstance(resp.get_json(), list), path
    # One route, so one cache entry: Magento was asked once, at the normalised URL.
    assert [t for t in recorder.targets if "integration" not in t] == ["/rest/default/V1/store/storeConfigs"]


def test_cached_get_is_invalidated_by_a_put_to_the_same_product(mclient, auth, sandbox_calls):
    first = mclient.get("/api/magento/products/1000001", headers=auth("viewer"))
    second = mclient.get("/api/magento/products/1000001", headers=auth("viewer"))
    assert first.headers["X-Cache"] == "MISS" and second.headers["X-Cache"] == "HIT"
    assert second.get_json() == first.get_json()
    assert sandbox_calls("GET /V1/products/:sku") == 1
    put = mclient.put("/api/magento/products/1000001", json={"product": {"name": "Renamed by the proxy test"}},
                      headers=auth("admin"))
    assert put.status_code == 200 and put.get_json()["name"] == "Renamed by the proxy test"
    third = mclient.get("/api/magento/products/1000001", headers=auth("viewer"))
    assert third.headers["X-Cache"] == "MISS" and third.get_json()["name"] == "Renamed by the proxy test"
    assert sandbox_calls("GET /V1/products/:sku") == 2


def test_a_write_clears_the_list_cache_of_its_resource_too(mclient, auth):
    query = ("searchCriteria[filter_groups][0][filters][0][field]=sku"
             "&searchCriteria[filter_groups][0][filters][0][value]=1000002")
    before = mclient.get(f"/api/magento/products?{query}", headers=auth("viewer")).get_json()["items"][0]["name"]
    mclient.put("/api/magento/products/1000002", json={"product": {"name": before + " v2"}}, headers=auth("admin"))
    after = mclient.get(f"/api/magento/products?{query}", headers=auth("viewer"))
    assert after.headers["X-Cache"] == "MISS" and after.get_json()["items"][0]["name"] == before + " v2"


def test_viewers_read_and_only_admins_write(mclient, auth):
    assert mclient.get("/api/magento/store/storeConfigs", headers=auth("viewer")).status_code == 200
    for role in ("viewer", "operator"):
        resp = mclient.put("/api/magento/products/1000001", json={"product": {"name": "x"}}, headers=auth(role))
        assert resp.status_code == 403, role
    assert mclient.get("/api/magento/store/storeConfigs").status_code == 401


def test_specific_routes_win_over_the_catch_all(magento_app, auth, sandbox_calls, tmp_path):
    app = magento_app(APP_DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite3'}")
    assert build_snapshots(app).status == "succeeded"  # the charts serve snapshots
    mclient = app.test_client()
    resp = mclient.get("/api/magento/products/stats?fieldName=name", headers=auth("viewer"))
    assert resp.status_code == 200 and isinstance(resp.get_json(), list)
    assert sandbox_calls("GET /V1/products/:sku") == 0  # the proxy would have asked for SKU "stats"
    grid = mclient.get("/api/magento/products/attributes?searchCriteria[pageSize]=5&fieldName=attribute_code",
                       headers=auth("viewer"))
    assert grid.status_code == 200 and {"items", "total_count"} <= set(grid.get_json())
    chart = mclient.get("/api/magento/products/attributes?fieldName=name", headers=auth("viewer"))
    assert isinstance(chart.get_json(), list) and {"attribute", "value"} <= set(chart.get_json()[0])


def test_writes_without_a_body_and_async_bulk_arrays_are_forwarded(mclient, auth):
    created = mclient.post("/api/magento/products/attributes/mgs_brand/options",
                           json={"option": {"label": "Proxy Brand", "value": "proxy_brand", "sort_order": 0}},
                           headers=auth("admin"))
    assert created.status_code == 200
    deleted = mclient.delete(f"/api/magento/products/attributes/mgs_brand/options/{created.get_json()}",
                             headers=auth("admin"))
    assert deleted.status_code == 200 and deleted.get_json() is True
    bulk = mclient.post("/api/magento/async/bulk/V1/products", json=[{"product": {"sku": "1000003", "price": 12.5}}],
                        headers=auth("admin"))
    assert bulk.status_code == 202 and bulk.get_json()["bulk_uuid"]


def test_the_admin_token_never_reaches_a_client(magento_app, auth, control):
    app = magento_app(LOGIN_ROLES={"admin": "admin"})
    client = app.test_client()
    responses = [
        client.get("/api/magento/store/storeConfigs", headers=auth("viewer")),
        client.get("/api/magento/products?searchCriteria[pageSize]=3", headers=auth("viewer")),
        client.get("/api/magento/products/NO-SUCH", headers=auth("viewer")),
        client.put("/api/magento/products/1000001", json={"product": {"name": "n"}}, headers=auth("admin")),
        client.get("/api/magento/products/stats", headers=auth("viewer")),
        client.get("/api/dashboard/stats", headers=auth("viewer")),
        client.post("/api/auth/login", json=ADMIN),
        client.post("/api/magento/integration/admin/token", json=ADMIN),
    ]
    refused = [client.post(f"/api/magento/{path}", json=ADMIN, headers=auth("admin"))
               for path in ("V1/integration/admin/token", "rest/V1/integration/admin/token",
                            "async/bulk/V1/integration/admin/token", "integration/customer/token",
                            "V1/Integration/admin/token", "V1%2Fintegration%2Fadmin%2Ftoken",
                            "V1/%69ntegration/admin/token")]
    assert [r.status_code for r in refused] == [404] * len(refused), [r.get_json() for r in refused]
    with app.app_context():
        token = get_cache(app).get("magento", "admin_token")
    assert token and len(token) > 8
    for resp in responses + refused:
        assert token not in resp.get_data(as_text=True)
        assert all(token not in value for _name, value in resp.headers.items())
    # Magento's own token endpoint was asked once: for the integration user, by the client.
    assert control.get("stats").json()["routes"]["POST /V1/integration/admin/token"] == 1


def test_dot_segments_are_refused(mclient, auth):
    resp = mclient.get("/api/magento/V1/%2E%2E/%2E%2E/admin", headers=auth("viewer"))
    assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"


def test_magento_outage_through_the_proxy_is_a_503_envelope(magento_app, auth, fault):
    from tests.magento_api.conftest import FAST_FAIL

    client = magento_app(**FAST_FAIL).test_client()
    fault(status=503)
    resp = client.get("/api/magento/orders?searchCriteria[pageSize]=1", headers=auth("viewer"))
    assert resp.status_code == 503 and resp.get_json()["error"] == "upstream_unavailable"


def _orders_window(end: str) -> str:
    """The dashboard's orders query (DashboardController): both created_at bounds in filter group 0."""
    group = "searchCriteria[filterGroups][0][filters]"
    return (f"searchCriteria[pageSize]=5&searchCriteria[currentPage]=1&{group}[0][field]=created_at"
            f"&{group}[0][value]=2026-10-31T{end}&{group}[0][conditionType]=gteq&{group}[1][field]=created_at"
            f"&{group}[1][value]=2026-11-30T{end}&{group}[1][conditionType]=lteq")


def test_dashboards_of_the_same_minute_share_the_orders_answer(make_app, recording_sandbox, auth):
    url, recorder = recording_sandbox
    client = make_app(MAGENTO_URL=url, **SANDBOX_SETTINGS).test_client()
    with client.application.app_context():
        get_cache().clear_namespace("magento.orders")
    recorder.targets.clear()
    first = client.get("/api/magento/orders", query_string=_orders_window("00:53:12.345Z"), headers=auth("viewer"))
    # Percent-encoded colons, as axios sends them, and other seconds of the same minute: the same entry.
    later = _orders_window("00%3A53%3A59.999Z")
    second = client.get("/api/magento/orders", query_string=later, headers=auth("viewer"))
    assert first.status_code == second.status_code == 200
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("MISS", "HIT") and second.data == first.data
    next_minute = client.get("/api/magento/orders", query_string=_orders_window("00:54:00.000Z"),
                             headers=auth("viewer"))
    assert next_minute.headers["X-Cache"] == "MISS"
    # Magento still gets each query as sent, seconds included.
    orders = [t for t in recorder.targets if "/V1/orders" in t]
    assert orders == ["/rest/default/V1/orders?" + _orders_window("00:53:12.345Z"),
                      "/rest/default/V1/orders?" + _orders_window("00:54:00.000Z")]


def test_the_cache_key_floors_times_to_the_minute_and_nothing_else():
    key = proxy._cache_key
    assert key("V1/orders", b"v=2026-11-30T00:53:12Z") == key("V1/orders", b"v=2026-11-30T00%3a53%3a40.5Z")
    assert key("V1/orders", b"v=2026-11-30T00:53:12Z") == key("V1/orders", b"v=2026-11-30T00:53Z")
    assert key("V1/orders", b"v=2026-11-30T00:53:12Z") != key("V1/orders", b"v=2026-11-30T00:54:12Z")
    assert key("V1/orders", b"v=2026-11-30T00:53:12Z") != key("V1/orders", b"v=2026-12-30T00:53:12Z")
    assert key("V1/orders", b"v=2026-11-30T00:53:12Z") != key("V1/invoices", b"v=2026-11-30T00:53:12Z")
    # Not a time with seconds: left as is (a SKU or a number that looks partly like one).
    assert key("V1/products", b"sku=12:34:56") != key("V1/products", b"sku=12:34:57")
    assert key("V1/products", b"page=2") != key("V1/products", b"page=3")
