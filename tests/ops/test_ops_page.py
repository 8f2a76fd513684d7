"""The /ops page in headless Chromium against a real Gunicorn (2 workers, Redis): every panel goes live.

Also the page's HTTP contract: a public shell with its own CSP, assets served, the JSON it reads gated.
"""
from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.support.sandbox import ADMIN
from tests.support.servers import ROOT, TOKENS, GunicornServer, wait_until

SCREENSHOT = ROOT / "docs" / "ops-page.png"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PANELS = ("charts", "health", "workers", "cache", "images", "breakers", "sync")
TRAFFIC = ["/api/test", "/api/mdm/inventory?page=1&pageSize=25", "/api/mdm/prices", "/api/no-such-route"]


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:  # "—" before the first window
        return 0.0


def test_ops_shell_is_public_with_its_own_csp_and_no_inline_script(client):
    page = client.get("/ops")
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    html = page.get_data(as_text=True)
    assert re.search(r"<script>|<script [^>]*>[^<]", html) is None, "inline script"
    assert " style=" not in html
    for src in re.findall(r'(?:src|href)="(/ops/assets/[^"]+)"', html):
        asset = client.get(src)
        assert asset.status_code == 200, src
        assert asset.headers["Content-Security-Policy"] == csp
    assert client.get("/ops/assets/routes.py").status_code == 404


def test_workers_endpoint_needs_viewer_and_lists_this_process(client, auth):
    assert client.get("/api/metrics/workers").status_code == 401
    body = client.get("/api/metrics/workers", headers=auth("viewer")).get_json()
    assert body["underGunicorn"] is False and body["masterPid"] is None
    (row,) = body["workers"]
    assert row["pid"] > 0 and row["memoryMb"] > 0 and body["memoryLimitMb"] == 1024


@pytest.mark.slow
def test_workers_endpoint_under_gunicorn_lists_the_live_workers():
    with GunicornServer(workers=2) as server:
        body = httpx.get(server.base_url + "/api/metrics/workers", headers=server.headers("viewer")).json()
        assert body["underGunicorn"] is True and body["masterPid"] == server.proc.pid
        assert sorted(w["pid"] for w in body["workers"]) == sorted(server.worker_pids())


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_ops_page_in_chromium_shows_every_panel_live(chromium, redis_url, seeded_mdm, sandbox_url, traffic):
    from playwright.sync_api import sync_playwright

    env = {"REDIS_URL": redis_url, "MDM_DATABASE_URL": seeded_mdm, "MAGENTO_URL": sandbox_url,
           "MAGENTO_USERNAME": ADMIN["username"], "MAGENTO_PASSWORD": ADMIN["password"],
           "GUNICORN_GRACEFUL_TIMEOUT": "5"}
    with GunicornServer(workers=2, env=env) as server, traffic(server.base_url, TRAFFIC) as load:
        job = httpx.post(server.base_url + "/api/mdm/inventory/sync-all-stocks", headers=server.headers("operator"))
        assert job.status_code in (200, 202), job.text
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1250})
                errors: list[str] = []
                page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(server.base_url + "/ops?interval=1000")
                page.fill("#token", TOKENS["viewer"])
                page.click("#token-form button")
                for panel in PANELS:
                    page.wait_for_selector(f"#panel-{panel}[data-state=live]", timeout=20_000)
                # Three polls with traffic in between: the charts have points and a non-zero rate.
                wait_until(lambda: "succeeded" in page.inner_text("#job-rows"), timeout=20)
                # (polled from Python: wait_for_function would eval a string, which the page's CSP forbids)
                wait_until(lambda: int(page.get_attribute("#chart-rate", "data-points") or 0) >= 3
                           and _number(page.inner_text("#rate-now")) > 0, timeout=20)
                page.wait_for_timeout(300)
                page.screenshot(path=str(SCREENSHOT), full_page=True)
                read = page.inner_text
                pids = {int(p) for p in page.locator("#worker-rows tr td:first-child").all_inner_texts()}
                assert pids == set(server.worker_pids())
                assert page.locator("#health-rows tr").count() >= 5
                assert read("#health-status") in ("pass", "warn")
                assert read("#cache-backend") == "redis"
                assert float(read("#cache-hit-rate").split()[0]) > 0
                assert float(read("#err-now")) > 0  # the 404 in the traffic mix
                lat = [float(v) for v in read("#lat-now").split(" / ")]
                assert 0 < lat[0] <= lat[1] <= lat[2]
                assert int(read("#sync-total")) >= 1
                assert int(read("#sync-success")) >= 1
                assert page.locator("#schedule-rows tr").count() == 4  # prices, stocks, full, prune
                assert read("#images-busy") == "0" and read("#images-queued") == "0"
                assert not errors, errors
                assert load.sent > 0
            finally:
                browser.close()
    assert Path(SCREENSHOT).stat().st_size > 10_000
