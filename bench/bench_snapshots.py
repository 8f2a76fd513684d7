"""Benchmark of the dashboard charts: a chart served from its snapshot vs computing it from a Magento crawl.

Run:  .venv/bin/python bench/bench_snapshots.py [--products 5000] [--latency-ms 0] [--reads 200]

Starts the Magento sandbox (in a thread) with `products` SKUs and an app on a fresh app database. Then:
- baseline: a full snapshot build, i.e. the crawl the original request path did inside a chart request
  (every page of products, orders, source items; per worker, per cache expiry);
- incremental: a refresh after one product changed (reads the changed products and orders; the source items
  only when asked, here as the schedule does: catalog and sales);
- serving: `reads` GETs of each of the seven charts and the dashboard stats from the snapshot, p50/p95 ms,
  and the Magento calls they made (must be 0).
Prints the ratio cold crawl / warm read. `--latency-ms` adds a per-call latency to every sandbox call
(a real shop answers a page in 0.2-1 s).
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="bench-snapshots-metrics-"))
os.environ.setdefault("APP_ENV", "testing")

CHARTS = ("products/stats", "products/types", "brands/distribution", "categories/distribution",
          "products/attributes", "sales/performance", "inventory/status")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()

    import httpx

    from app import create_app
    from config.parsers import _tokens
    from magento_sandbox import SandboxOptions, start_sandbox_thread
    from tests.support.servers import TOKENS, api_tokens_env
    from tests.support.snapshots import build_snapshots

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    tmp = Path(tempfile.mkdtemp(prefix="bench-snapshots-"))
    sandbox = start_sandbox_thread("127.0.0.1", 0, options=SandboxOptions(
        products=args.products, seed=7, consumer_delay_s=None, admin_username="admin", admin_password="sandbox123"))
    control = httpx.Client(base_url=f"{sandbox.url}/__sandbox/", timeout=60)
    try:
        app = create_app("testing", overrides={
            "API_TOKENS": _tokens(api_tokens_env()), "APP_DATABASE_URL": f"sqlite:///{tmp / 'app.sqlite3'}",
            "MDM_DATABASE_URL": f"sqlite:///{tmp / 'mdm.sqlite3'}", "RUN_DIR": str(tmp / "run"), "LOG_FILES": False,
            "MAGENTO_URL": sandbox.url, "MAGENTO_USERNAME": "admin", "MAGENTO_PASSWORD": "sandbox123"})
        if args.latency_ms:
            control.post("faults", json={"latency_ms": args.latency_ms}).raise_for_status()

        def calls() -> int:
            return sum(int(v) for v in control.get("stats").json()["routes"].values())

        started, before = time.perf_counter(), calls()
        full = build_snapshots(app)
        full_s, full_calls = time.perf_counter() - started, calls() - before
        assert full.status == "succeeded", full.message
        client = app.test_client()
        headers = {"Authorization": f"Bearer {TOKENS['admin']}"}
        client.put("/api/magento/products/" + client.get(
            "/api/magento/products?searchCriteria[pageSize]=1", headers=headers).get_json()["items"][0]["sku"],
            headers=headers, json={"product": {"price": 12.34}})
        started, before = time.perf_counter(), calls()
        incremental = build_snapshots(app, groups=["catalog", "sales"])
        inc_s, inc_calls = time.perf_counter() - started, calls() - before
        assert incremental.status == "succeeded", incremental.message

        before = calls()
        timings: list[float] = []
        for _ in range(args.reads):
            for path in [f"/api/magento/{c}" for c in CHARTS] + ["/api/dashboard/stats"]:
                t0 = time.perf_counter()
                resp = client.get(path, headers=headers)
                timings.append((time.perf_counter() - t0) * 1000)
                assert resp.status_code == 200, (path, resp.status_code)
        read_calls = calls() - before
        timings.sort()
        p50, p95 = statistics.median(timings), timings[int(0.95 * len(timings)) - 1]
        print(f"sandbox: {args.products} products, latency {args.latency_ms} ms/call; read {full.result['read']}")
        print(f"baseline full build (the old cold request's crawl): {full_s:8.2f} s, {full_calls} Magento calls")
        print(f"incremental refresh (1 product changed):             {inc_s:8.2f} s, {inc_calls} Magento calls, "
              f"read {incremental.result['read']}")
        print(f"chart read from the snapshot: p50 {p50:.2f} ms, p95 {p95:.2f} ms over {len(timings)} reads, "
              f"{read_calls} Magento calls")
        print(f"ratio cold crawl / warm read (p95): {full_s * 1000 / p95:,.0f}x")
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
