"""The React dashboard's burst under the real Gunicorn (2 workers, default threads, bulkheads and breakers on).

One user opening the dashboard fires 22 calls at once; before issue 14 the per-worker bulkhead let 2 through
and refused a call that had waited 0.5 s, so one user got 2 x 503. Here: one cold dashboard, then 10 users'
dashboards at once, all answered (200) within the frontend's 30 s, with the sandbox answering every call
100 ms late (its latency fault) so calls overlap as they do against a real shop.

The charts are served from the dashboard snapshots (issue 14 item 2), built once at start as in production;
the first dashboard is cold for everything else (lists fetched from Magento), and in the 10-user burst each
user asks for a different list page, so its 6 list calls reach Magento through the bulkhead instead of the
proxy cache (60 Magento calls queued behind 8 slots per worker).
Figures printed with `-s` are the ones in docs/resilience.md.
"""
from __future__ import annotations

import json

import pytest

from config.sections import ServerSettings, setting_of
from tests.support.dashboard import burst, summary
from tests.support.sandbox import ADMIN
from tests.support.servers import GunicornServer, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
DEFAULT_THREADS = setting_of(ServerSettings, "threads").default
SHOP_LATENCY_MS = 100
FRONTEND_TIMEOUT = 30.0  # the React frontend's axios timeout


def _env(sandbox_url: str, app_db: str) -> dict[str, str]:
    # Defaults for everything about concurrency (threads, caps, waits, budgets): the point is the defaults.
    # The runner builds the first snapshots at start, as it does outside tests.
    return {"MAGENTO_URL": sandbox_url, "MAGENTO_USERNAME": ADMIN["username"], "MAGENTO_PASSWORD": ADMIN["password"],
            "BREAKERS_ENABLED": "1", "BULKHEADS_ENABLED": "1", "RATE_LIMIT_ENABLED": "0", "LOG_LEVEL": "WARNING",
            "APP_DATABASE_URL": app_db, "SYNC_RUNNER_ENABLED": "true", "SYNC_SCHEDULER_ENABLED": "false",
            "SNAPSHOT_AUTO_REFRESH": "true"}


def _snapshots_ready(server: GunicornServer) -> bool:
    import httpx

    resp = httpx.get(server.base_url + "/api/dashboard/snapshots", headers=server.headers("operator"), timeout=5)
    return resp.status_code == 200 and all(d["status"] == "ready" for d in resp.json()["data"]["datasets"])


def test_one_dashboard_then_ten_at_once_are_answered_without_errors(sandbox_url, control, tmp_path) -> None:
    env = _env(sandbox_url, f"sqlite:///{tmp_path / 'app.sqlite3'}")
    with GunicornServer(workers=2, threads=DEFAULT_THREADS, env=env) as server:
        wait_until(lambda: _snapshots_ready(server), timeout=120, interval=0.5)
        control.post("faults", json={"latency_ms": SHOP_LATENCY_MS}).raise_for_status()
        headers = server.headers("viewer")
        one = burst(server.base_url, headers, users=1, timeout=FRONTEND_TIMEOUT)
        ten = burst(server.base_url, headers, users=10, timeout=FRONTEND_TIMEOUT, vary_pages=True)
        metrics = server_metrics(server)
    control.delete("faults").raise_for_status()
    print(f"\n[burst] 1 user, cold: {json.dumps(summary(one))}")
    print(f"[burst] 10 users at once: {json.dumps(summary(ten))}")
    print(f"[burst] magento bulkhead refusals: {json.dumps(metrics)}")

    for name, calls in (("one user", one), ("ten users", ten)):
        failed = [(c.path, c.status, c.error) for c in calls if c.status != 200]
        assert failed == [], f"{name}: {len(failed)} of {len(calls)} calls failed: {failed[:5]}"
    assert len(one) == 22 and len(ten) == 220
    assert max(c.seconds for c in ten) < FRONTEND_TIMEOUT


def server_metrics(server: GunicornServer) -> dict:
    import httpx

    body = httpx.get(server.base_url + "/api/metrics", headers=server.headers("viewer"), timeout=10).json()
    return body.get("breakers", {}).get("magento", {}).get("rejected", {})
