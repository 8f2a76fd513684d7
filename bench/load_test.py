"""Run the locust mix (bench/locustfile.py) against the full stack and print the figures for docs/load-test.md.

    .venv/bin/python bench/load_test.py [--users 32] [--seconds 60] [--workers 2]

Starts the Magento sandbox, seeds a demo MDM database (sqlite), and runs Gunicorn (production settings,
Redis cache on redis://127.0.0.1:6379/13, the job runner on) with the repository's gunicorn.conf.py; then
runs locust headless and prints throughput, p50/p95/p99 and error rate overall and per request name.
Needs Redis on 127.0.0.1:6379 and `pip install -r bench/requirements.txt` (locust).
"""
from __future__ import annotations

import argparse
import csv
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.sandbox import ADMIN  # noqa: E402
from tests.support.servers import GunicornServer, wait_until  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def seed_mdm(url: str, products: int) -> None:
    from app.adapters.mdm.tables import mdm_engine
    from app.adapters.sql import create_engine_for
    from app.services.mdm.seed import seed_demo_data

    engine = create_engine_for(url, name="mdm", connect_timeout=2, statement_timeout=60)
    seed_demo_data(mdm_engine(engine), products=products, sources=12)
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--spawn-rate", type=float, default=16)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--products", type=int, default=2000)
    args = parser.parse_args()

    from magento_sandbox import SandboxOptions, start_sandbox_thread

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the sandbox's access lines would bury the report

    tmp = Path(tempfile.mkdtemp(prefix="techno-etl-load-"))
    mdm_url = f"sqlite:///{tmp / 'mdm.sqlite3'}"
    seed_mdm(mdm_url, args.products)
    sandbox = start_sandbox_thread("127.0.0.1", 0, options=SandboxOptions(
        products=500, seed=7, consumer_delay_s=None, admin_username=ADMIN["username"],
        admin_password=ADMIN["password"]))
    env = {"APP_ENV": "production", "SECRET_KEY": "load-test-only", "FORCE_HTTPS": "false", "LOG_LEVEL": "WARNING",
           "REDIS_URL": "redis://127.0.0.1:6379/13", "MDM_DATABASE_URL": mdm_url, "MAGENTO_URL": sandbox.url,
           "MAGENTO_USERNAME": ADMIN["username"], "MAGENTO_PASSWORD": ADMIN["password"], "MAGENTO_VERIFY_TLS": "false",
           # One load generator = one client address: the per-client limit (1000 / 15 min) would turn the
           # run into a 429 test. The limiter still runs (its Redis round trip is part of the cost).
           "RATE_LIMIT": "100000000 per minute", "SYNC_SCHEDULER_ENABLED": "false", "API_DOCS_ENABLED": "false"}
    try:
        with GunicornServer(workers=args.workers, env=env) as server:
            wait_for_snapshots(server)  # the charts answer 503 snapshot_pending until the first build ends
            prefix = tmp / "locust"
            cmd = [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                   "--host", server.base_url, "-u", str(args.users), "-r", str(args.spawn_rate),
                   "-t", f"{args.seconds}s", "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"]
            subprocess.run(cmd, check=False, timeout=args.seconds + 120)
            report(prefix.with_name("locust_stats.csv"), args)
            server_side(server)
            print(f"gunicorn workers: {args.workers}, threads: {server.env['GUNICORN_THREADS']}")
    finally:
        sandbox.stop()
    return 0


def wait_for_snapshots(server: GunicornServer, timeout: float = 300.0) -> None:
    """Wait for the dashboard snapshots the workers build at start (docs/dashboards.md)."""
    import httpx

    def ready() -> bool:
        resp = httpx.get(server.base_url + "/api/dashboard/snapshots", headers=server.headers("operator"), timeout=5)
        return resp.status_code == 200 and all(d["status"] == "ready" for d in resp.json()["data"]["datasets"])
    started = time.monotonic()
    wait_until(ready, timeout=timeout, interval=0.5)
    print(f"dashboard snapshots built in {time.monotonic() - started:.1f} s after the start")


def server_side(server: GunicornServer) -> None:
    """What the service says about the run: load shed by bulkheads/breakers, cache hit rate, status mix."""
    import httpx

    headers = server.headers("viewer")
    text = httpx.get(server.base_url + "/api/metrics/prometheus", headers=headers, timeout=10).text
    shed = [line for line in text.splitlines() if line.startswith("techno_etl_breaker_rejected_total")]
    metrics = httpx.get(server.base_url + "/api/metrics", headers=headers, timeout=10).json()
    print("server: status mix", metrics["requests"]["byStatus"], "| cache hit rate", metrics["cache"]["hitRate"],
          "| backend", metrics["cache"]["backend"])
    print("server: refused at once (bulkhead / breaker):", "; ".join(shed) or "none")


def report(stats_csv: Path, args: argparse.Namespace) -> None:
    rows = list(csv.DictReader(stats_csv.open()))
    print(f"\n{args.users} users, {args.seconds} s")
    print(f"{'name':42} {'reqs':>7} {'req/s':>8} {'err %':>6} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)")
    for row in rows:
        count = int(row["Request Count"])
        errors = int(row["Failure Count"])
        print(f"{(row['Type'] + ' ' + row['Name'])[:42]:42} {count:7d} {float(row['Requests/s']):8.1f} "
              f"{100 * errors / max(count, 1):6.2f} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}")


if __name__ == "__main__":
    sys.exit(main())
