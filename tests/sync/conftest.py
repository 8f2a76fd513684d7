"""Sync suite fixtures: a seeded MDM (SQLite, 300 products x 12 stores), a sandbox whose catalogue is that
MDM's products, and apps pointed at both. Jobs are driven explicitly (the runner threads stay off)."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select, update

from app.adapters.mdm.tables import mdm_engine, stock_changes
from app.adapters.sql import create_engine_for
from app.services.mdm.seed import seed_demo_data
from app.services.mdm.sources import load_sources
from magento_sandbox import SandboxOptions, start_sandbox_thread
from tests.support.sandbox import ADMIN

PRODUCTS = 300
MAGENTO_SOURCE = {int(s.code_source): s.magentoSource for s in load_sources()}


@pytest.fixture(scope="session")
def mdm_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sync-mdm") / "mdm.sqlite3"
    raw = create_engine_for(f"sqlite:///{path}", name="mdm")
    seed_demo_data(mdm_engine(raw), products=PRODUCTS, sources=12, seed=5)
    raw.dispose()
    return path


@pytest.fixture(scope="session")
def sync_sandbox(mdm_template: Path) -> Iterator[str]:
    options = SandboxOptions(mdm_url=f"sqlite:///{mdm_template}", consumer_delay_s=0.3, seed=3,
                             admin_username=ADMIN["username"], admin_password=ADMIN["password"])
    server = start_sandbox_thread("127.0.0.1", 0, options=options)
    yield server.url
    httpx.delete(f"{server.url}/__sandbox/faults", timeout=5)
    server.stop()


class Shop:
    """The sandbox seen from a test: faults, source items, call stats."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=f"{url}/__sandbox/", timeout=10)

    def faults(self, **config: Any) -> None:
        self.http.post("faults", json=config).raise_for_status()

    def clear(self) -> None:
        self.http.delete("faults").raise_for_status()

    def quantities(self) -> dict[tuple[str, str], float]:
        return {(r["sku"], r["source_code"]): float(r["quantity"]) for r in self.http.get("state/source-items").json()}

    def stats(self) -> dict[str, Any]:
        return self.http.get("stats").json()

    def reset_stats(self) -> None:
        self.http.delete("stats").raise_for_status()

    def price(self, sku: str) -> float:
        return float(self.http.get(f"state/products/{sku}").json()["price"])


@pytest.fixture
def shop(sync_sandbox: str) -> Iterator[Shop]:
    shop = Shop(sync_sandbox)
    shop.http.post("reset").raise_for_status()
    yield shop
    shop.clear()


@pytest.fixture
def mdm_file(tmp_path: Path, mdm_template: Path) -> Path:
    target = tmp_path / "mdm.sqlite3"
    shutil.copy(mdm_template, target)
    return target


@pytest.fixture
def mdm(mdm_file: Path) -> Iterator[Engine]:
    raw = create_engine_for(f"sqlite:///{mdm_file}", name="mdm")
    yield mdm_engine(raw)
    raw.dispose()


def sync_overrides(shop_url: str, tmp_path: Path, mdm_file: Path, **extra: Any) -> dict[str, Any]:
    return {
        "APP_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}", "MDM_DATABASE_URL": f"sqlite:///{mdm_file}",
        "RUN_DIR": str(tmp_path / "run"), "LOG_FILES": False,
        "MAGENTO_URL": shop_url, "MAGENTO_USERNAME": ADMIN["username"], "MAGENTO_PASSWORD": ADMIN["password"],
        "MAGENTO_RETRY_BACKOFF_BASE": 0.01, "MAGENTO_RETRY_BACKOFF_MAX": 0.05, "MAGENTO_RETRY_MAX_WAIT": 0.5,
        "MAGENTO_TIMEOUT_READ": 2.0, "MAGENTO_RETRY_MAX_TIME": 5.0,
        "SYNC_WAIT_INTERVAL": 0.2, "SYNC_BATCH_RETRIES": 2, "SYNC_LEASE_SECONDS": 10.0,
        "SYNC_HEARTBEAT_SECONDS": 0.5, "PRICE_BULK_POLL": 0.1, "PRICE_BULK_TIMEOUT": 10.0,
        **extra,
    }


@pytest.fixture
def sync_app(make_app, shop: Shop, tmp_path: Path, mdm_file: Path):
    from app.services import jobs

    built = []

    def build(**extra: Any):
        app = make_app(**sync_overrides(shop.url, tmp_path, mdm_file, **extra))
        built.append(app)
        return app
    yield build
    for app in built:  # no job thread may outlive its test
        jobs.get_jobs(app).runner().stop(timeout=5)


def run_job(app, kind: str, params: dict[str, Any]):
    """Enqueue and run one job on this thread; returns the final JobRecord."""
    from app.services import jobs

    with app.app_context():
        job_id = jobs.get_jobs().submit(jobs.JobRequest(kind, params), start=False)
        return jobs.get_jobs(app).runner().run_inline(job_id)


def mark_all_changed(mdm: Engine) -> None:
    from app.adapters import sql

    with sql.begin(mdm) as conn:
        conn.execute(update(stock_changes).values(changed=True))


def mdm_rows(mdm: Engine) -> list[tuple[str, int, int | None, bool]]:
    with mdm.connect() as conn:
        return [(r[0], int(r[1]), r[2], bool(r[3])) for r in conn.execute(
            select(stock_changes.c.Code_MDM, stock_changes.c.Code_Source, stock_changes.c.QteStock,
                   stock_changes.c.changed))]


def acknowledged_mismatches(mdm: Engine, shop: Shop) -> list[Any]:
    """Rows acknowledged (changed=0) whose quantity Magento does not have: lost updates."""
    magento = shop.quantities()
    bad = []
    for sku, code, qty, changed in mdm_rows(mdm):
        if not changed and magento.get((sku, MAGENTO_SOURCE[code])) != float(max(0, qty or 0)):
            bad.append((sku, code, qty, magento.get((sku, MAGENTO_SOURCE[code]))))
    return bad


@pytest.fixture
def client_for():
    return lambda app: app.test_client()
