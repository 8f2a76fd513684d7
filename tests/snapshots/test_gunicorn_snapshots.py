"""Under real Gunicorn (2 workers): the first snapshots are built once at start (one worker wins the kick),
and a restarted Gunicorn serves them at once without reading Magento again."""
from __future__ import annotations

import httpx

from tests.magento_api.conftest import SANDBOX_SETTINGS
from tests.support.servers import GunicornServer, wait_until

CHARTS = ("products/stats", "products/types", "brands/distribution", "categories/distribution",
          "products/attributes", "sales/performance", "inventory/status")
CRAWLED = ("GET /V1/products", "GET /V1/orders", "GET /V1/inventory/source-items")


def _crawl_calls(control: httpx.Client) -> int:
    routes = control.get("stats").json()["routes"]
    return sum(int(routes.get(route, 0)) for route in CRAWLED)


def _ready(server: GunicornServer) -> bool:
    resp = httpx.get(server.base_url + "/api/dashboard/snapshots", headers=server.headers("operator"), timeout=5)
    return resp.status_code == 200 and all(d["status"] == "ready" for d in resp.json()["data"]["datasets"])


def _jobs(server: GunicornServer) -> int:
    resp = httpx.get(server.base_url + "/api/sync/jobs?kind=snapshots", headers=server.headers("viewer"), timeout=5)
    return resp.json()["totalCount"]


def test_gunicorn_builds_the_first_snapshots_once_and_serves_them_after_a_restart(sandbox_url, control, tmp_path):
    env = {"APP_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}", "MAGENTO_URL": sandbox_url,
           "MAGENTO_USERNAME": SANDBOX_SETTINGS["MAGENTO_USERNAME"],
           "MAGENTO_PASSWORD": SANDBOX_SETTINGS["MAGENTO_PASSWORD"],
           "SYNC_RUNNER_ENABLED": "true", "SYNC_SCHEDULER_ENABLED": "false", "SNAPSHOT_AUTO_REFRESH": "true"}
    with GunicornServer(workers=2, env=env) as server:
        wait_until(lambda: _ready(server), timeout=90, interval=0.5)
        assert _jobs(server) == 1  # both workers started; one kick won
        served = {c: httpx.get(f"{server.base_url}/api/magento/{c}", headers=server.headers("viewer"), timeout=5)
                  for c in CHARTS}
        assert {r.status_code for r in served.values()} == {200}
    calls = _crawl_calls(control)
    with GunicornServer(workers=2, env=env) as restarted:
        for chart, before in served.items():
            resp = httpx.get(f"{restarted.base_url}/api/magento/{chart}", headers=restarted.headers("viewer"),
                             timeout=5)
            assert resp.status_code == 200 and resp.json() == before.json(), chart
            assert resp.headers["X-Data-As-Of"] == before.headers["X-Data-As-Of"]
        assert _jobs(restarted) == 1  # every dataset was there: no build at start
    assert _crawl_calls(control) == calls
