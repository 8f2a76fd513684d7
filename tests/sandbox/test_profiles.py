"""Sandbox profiles (demo, large), the seeded per-call latency, the matching MDM seed, and the updated_at
filters an incremental reader relies on."""
from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.adapters.mdm.tables import mdm_engine, produits
from app.adapters.sql import create_engine_for
from app.services.mdm.seed import seed_demo_data
from config import ConfigError, load_settings
from magento_sandbox import SandboxOptions, start_sandbox_thread
from magento_sandbox.options import LARGE_PRODUCTS, parse_latency
from magento_sandbox.sandbox import Sandbox
from magento_sandbox.seed import build_state
from tests.support.sandbox import ADMIN


@pytest.fixture(scope="module")
def large_state():
    started = time.perf_counter()
    state = build_state(SandboxOptions(profile="large"))
    return state, time.perf_counter() - started


def test_large_profile_has_the_sizes_of_a_real_shop(large_state) -> None:
    state, elapsed = large_state
    assert len(state.products) == 20_000 and len(state.sources) == 13  # 12 stores + "default"
    assert len(state.source_items) == 240_000
    assert {code for _sku, code in state.source_items} == set(state.sources) - {"default"}
    assert len(state.orders) == 50_000 and len(state.customers) == 5_000 and len(state.categories) == 200
    months = {state.orders.field(oid, "created_at")[:7] for oid in state.orders}
    assert len(months) >= 12  # a year of orders
    assert 0 < len(state.invoices) < len(state.orders)
    assert elapsed < 60  # ~1.5 s of CPU; generous for a loaded test machine


def test_large_orders_render_consistently_with_their_search_fields(large_state) -> None:
    state, _ = large_state
    order = state.orders[12_345]
    assert order["entity_id"] == 12_345 and order["items"]
    for name in ("created_at", "updated_at", "status", "customer_id", "grand_total", "increment_id"):
        assert state.orders.field(12_345, name) == order[name]
    assert order["updated_at"] >= order["created_at"]
    assert order["grand_total"] == round(order["subtotal"] + order["shipping_amount"], 2)
    invoice = state.invoices[1]
    assert state.orders[invoice["order_id"]]["grand_total"] == invoice["grand_total"]


def test_demo_profile_keeps_the_small_shop() -> None:
    state = build_state(SandboxOptions(products=120))
    assert len(state.products) == 120 and len(state.categories) == 21
    assert len(state.orders) == 240 and len(state.customers) == 60
    assert len(state.source_items) < 120 * 7


def _fingerprint(state) -> tuple:
    return ([(p["sku"], p["name"], p["price"], p["updated_at"]) for p in state.products.values()],
            sorted((k, v["quantity"]) for k, v in state.source_items.items()),
            [state.orders[oid] for oid in state.orders], [c["email"] for c in state.customers.values()],
            [c["name"] for c in state.categories.values()])


def test_same_seed_same_shop_and_another_seed_another_shop() -> None:
    options = SandboxOptions(profile="large", products=300, orders=600, customers=40, categories=60, seed=5)
    first, again = build_state(options), build_state(options)
    assert _fingerprint(first) == _fingerprint(again)
    assert len(first.source_items) == 300 * 12 and len(first.categories) == 60
    assert _fingerprint(build_state(options.with_(seed=6))) != _fingerprint(first)


def test_profile_and_latency_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_PROFILE", "large")
    monkeypatch.setenv("SANDBOX_LATENCY_MS", "150-400")
    options = SandboxOptions.from_env()
    assert options.profile == "large" and options.size("products", 500) == LARGE_PRODUCTS
    assert options.latency_ms == (150.0, 400.0)


def test_latency_values_parse_or_are_refused() -> None:
    assert parse_latency("200") == (150.0, 250.0) and parse_latency("0") == (0.0, 0.0)
    assert parse_latency(" 150-400 ") == (150.0, 400.0)
    for bad in ("fast", "400-150", "-5", "1-2-3", "70000"):
        with pytest.raises(ValueError):
            parse_latency(bad)
    with pytest.raises(ValueError):
        SandboxOptions(profile="huge")
    with pytest.raises(ValueError):
        SandboxOptions(categories=3)
    assert len(build_state(SandboxOptions(products=10, categories=4, orders=5)).categories) == 4


def test_settings_refuse_a_bad_profile_or_latency() -> None:
    settings = load_settings("development", {"SANDBOX_PROFILE": "large", "SANDBOX_LATENCY_MS": "150-400"})
    assert settings.magento.sandbox_profile == "large" and settings.magento.sandbox_latency_ms == "150-400"
    with pytest.raises(ConfigError) as err:
        load_settings("development", {"SANDBOX_PROFILE": "huge", "SANDBOX_LATENCY_MS": "400-150"})
    assert "SANDBOX_PROFILE" in str(err.value) and "SANDBOX_LATENCY_MS" in str(err.value)


def test_latency_draws_are_seeded_and_bounded() -> None:
    options = SandboxOptions(products=5, latency_ms=(150.0, 400.0), seed=9)
    a, b = Sandbox(options), Sandbox(options)
    draws = [a.shop_latency_s() for _ in range(200)]
    assert draws == [b.shop_latency_s() for _ in range(200)]
    assert all(0.150 <= d <= 0.400 for d in draws) and statistics.pstdev(draws) > 0.03
    assert Sandbox(options.with_(latency_ms=(0.0, 0.0))).shop_latency_s() == 0.0


@pytest.fixture
def slow_shop() -> Iterator[str]:
    server = start_sandbox_thread("127.0.0.1", 0, options=SandboxOptions(
        products=20, consumer_delay_s=None, latency_ms=(80.0, 160.0), admin_username=ADMIN["username"],
        admin_password=ADMIN["password"]))
    try:
        yield server.url
    finally:
        server.stop()


def test_every_rest_call_takes_the_configured_latency(slow_shop: str) -> None:
    with httpx.Client(base_url=f"{slow_shop}/rest/V1/", timeout=10) as client:
        token = client.post("integration/admin/token", json=ADMIN).json()
        client.headers["Authorization"] = f"Bearer {token}"
        took = []
        for _ in range(8):
            started = time.perf_counter()
            assert client.get("store/storeConfigs").status_code == 200
            took.append(time.perf_counter() - started)
    assert min(took) >= 0.080 and statistics.median(took) < 1.0  # upper bound generous: loaded machine
    assert max(took) - min(took) > 0.005  # jittered, not a constant delay


def test_manage_py_sandbox_serves_the_profile_and_latency_of_the_settings(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.support.servers import ROOT, free_port, wait_until

    port = free_port()
    env = {**os.environ, "APP_ENV": "development", "SANDBOX_PROFILE": "large", "SANDBOX_LATENCY_MS": "20-40",
           "MDM_DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}"}
    log = (tmp_path / "sandbox.log").open("w")
    proc = subprocess.Popen([sys.executable, "manage.py", "sandbox", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        info = wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/__sandbox/info", timeout=2).json(),
                          timeout=120, interval=0.5)
        assert info["profile"] == "large" and info["latency_ms"] == [20.0, 40.0]
        assert (info["products"], info["source_items"], info["orders"]) == (20_000, 240_000, 50_000)
        assert info["seeded_from"] == "generated"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_mdm_seed_of_n_products_has_the_skus_of_the_generated_shop(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'mdm.sqlite3'}", name="mdm")
    try:
        mdm = mdm_engine(engine)
        seed_demo_data(mdm, products=250, sources=2)
        with mdm.connect() as conn:
            codes = set(conn.execute(select(produits.c.Code_MDM)).scalars())
    finally:
        engine.dispose()
    shop = build_state(SandboxOptions(profile="large", products=250, orders=10, customers=5))
    assert codes == {p["sku"] for p in shop.products.values()}


# -- updated_at filters (incremental reads) -------------------------------------------------------------
def _since(field: str, cond: str, value: str) -> dict:
    return {"searchCriteria[filterGroups][0][filters][0][field]": field,
            "searchCriteria[filterGroups][0][filters][0][value]": value,
            "searchCriteria[filterGroups][0][filters][0][conditionType]": cond,
            "searchCriteria[pageSize]": "300"}


def test_products_filter_on_updated_at_and_a_save_moves_it(api: httpx.Client) -> None:
    every = api.get("products", params={"searchCriteria[pageSize]": "300"}).json()["items"]
    stamps = sorted(p["updated_at"] for p in every)
    middle = stamps[len(stamps) // 2]
    newer = api.get("products", params=_since("updated_at", "gt", middle)).json()
    assert newer["total_count"] == sum(1 for s in stamps if s > middle) > 0
    assert all(p["updated_at"] > middle for p in newer["items"])
    same_or_newer = api.get("products", params=_since("updated_at", "gteq", middle)).json()
    assert same_or_newer["total_count"] == sum(1 for s in stamps if s >= middle)
    latest = stamps[-1]
    assert api.get("products", params=_since("updated_at", "gt", latest)).json()["total_count"] == 0
    sku = every[0]["sku"]
    assert api.put(f"products/{sku}", json={"product": {"sku": sku, "price": 12.34}}).status_code == 200
    changed = api.get("products", params=_since("updated_at", "gt", latest)).json()["items"]
    assert [p["sku"] for p in changed] == [sku]


def test_orders_filter_on_updated_at(api: httpx.Client) -> None:
    every = api.get("orders", params={"searchCriteria[pageSize]": "300"}).json()
    stamps = sorted(o["updated_at"] for o in every["items"])
    assert every["total_count"] == len(stamps)  # the demo shop has fewer than 300 orders
    cut = stamps[len(stamps) * 3 // 4]
    newer = api.get("orders", params=_since("updated_at", "gteq", cut)).json()
    assert newer["total_count"] == sum(1 for s in stamps if s >= cut)
    assert all(o["updated_at"] >= cut for o in newer["items"])
    iso = api.get("orders", params=_since("updated_at", "gt", cut.replace(" ", "T") + "Z")).json()
    assert iso["total_count"] == sum(1 for s in stamps if s > cut)
