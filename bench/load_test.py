"""Run a locust model (bench/locustfile.py) against the full stack and print the figures for docs/load-test.md.

    .venv/bin/python bench/load_test.py [--model session|mix] [--users 10] [--seconds 120] [--workers 2]
        [--profile demo|large] [--latency-ms 200] [--threads N] [--locust-python PATH] [--state-dir DIR]

Starts the Magento sandbox (SANDBOX_PROFILE / SANDBOX_LATENCY_MS given by --profile / --latency-ms), seeds
an MDM database (sqlite; 20,000 products -- the large shop's SKUs -- with --profile large), and runs
Gunicorn (production settings, Redis cache on redis://127.0.0.1:6379/13, the job runner on) with the
repository's gunicorn.conf.py; then runs locust headless and prints throughput, p50/p95/p99 and error rate
per request name (call kind) and the failures by kind. With --state-dir the MDM and app databases live in
DIR and are reused by the next run with the same profile: the snapshots built by the first run (5-6 min on
the large shop) are read back, so an iteration takes --seconds plus ~1 min. Needs Redis on 127.0.0.1:6379 and locust
(`pip install -r bench/requirements.txt`, or a separate virtualenv given with --locust-python).
"""
from __future__ import annotations

import argparse
import csv
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.load_diag import Usage, cpu_report, server_percentiles  # noqa: E402
from config import load_settings  # noqa: E402
from magento_sandbox.options import LARGE_PRODUCTS, PROFILES, parse_latency  # noqa: E402
from tests.support.sandbox import ADMIN  # noqa: E402
from tests.support.servers import GunicornServer, wait_until  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = "redis://127.0.0.1:6379/13"


def seed_mdm(url: str, products: int) -> None:
    from app.adapters.mdm.tables import mdm_engine
    from app.adapters.sql import create_engine_for
    from app.services.mdm.seed import seed_demo_data

    engine = create_engine_for(url, name="mdm", connect_timeout=2, statement_timeout=60)
    seed_demo_data(mdm_engine(engine), products=products, sources=12)
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("session", "mix"), default="session",
                        help="session: dashboard burst then grids (SessionUser); mix: the older FrontendUser mix")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="GUNICORN_THREADS (default: the setting's)")
    parser.add_argument("--products", type=int, default=None,
                        help="MDM products (default 2,000; 20,000 with --profile large)")
    parser.add_argument("--profile", choices=PROFILES, default="demo", help="sandbox shop size")
    parser.add_argument("--latency-ms", default="0", help="sandbox answer time per call: N or LOW-HIGH")
    parser.add_argument("--locust-python", default=sys.executable, help="a Python with locust installed")
    parser.add_argument("--state-dir", type=Path, default=None,
                        help="keep the MDM and app databases (snapshots, jobs) here and reuse them next run")
    parser.add_argument("--no-resend", action="store_true",
                        help="count a GET reset on a kept-alive connection as a failure instead of resending it "
                             "once as browsers do (bench/locustfile.py SessionUser._get)")
    parser.add_argument("--cold-restart", action="store_true",
                        help="after the run, restart Gunicorn (snapshots persisted) and time the first dashboard")
    args = parser.parse_args()

    import redis

    from magento_sandbox import SandboxOptions, start_sandbox_thread

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the sandbox's access lines would bury the report

    # db 13 belongs to the load test: a chart cached by an earlier run (another profile) must not answer.
    redis.Redis.from_url(REDIS_URL).flushdb()
    tmp = Path(tempfile.mkdtemp(prefix="techno-etl-load-"))
    large = args.profile == "large"
    products = args.products or (LARGE_PRODUCTS if large else 2000)
    state = state_dir(args.state_dir, args.profile, products) if args.state_dir else tmp
    mdm_path = state / "mdm.sqlite3"
    mdm_url = f"sqlite:///{mdm_path}"
    if mdm_path.exists():
        print(f"MDM and app databases reused from {state}")
    else:
        started = time.perf_counter()
        seed_mdm(mdm_url, products)
        print(f"MDM seeded in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    sandbox = start_sandbox_thread("127.0.0.1", 0, options=SandboxOptions(
        profile=args.profile, products=None if large else 500, latency_ms=parse_latency(args.latency_ms), seed=7,
        consumer_delay_s=None, admin_username=ADMIN["username"], admin_password=ADMIN["password"]))
    print(f"sandbox ({args.profile}, latency {args.latency_ms} ms) up in {time.perf_counter() - started:.1f} s")
    env = {"APP_ENV": "production", "SECRET_KEY": "load-test-only", "FORCE_HTTPS": "false", "LOG_LEVEL": "WARNING",
           "REDIS_URL": REDIS_URL, "MDM_DATABASE_URL": mdm_url, "MAGENTO_URL": sandbox.url,
           "MAGENTO_USERNAME": ADMIN["username"], "MAGENTO_PASSWORD": ADMIN["password"], "MAGENTO_VERIFY_TLS": "false",
           # One load generator = one client address: the per-client limit (1000 / 15 min) would turn the
           # run into a 429 test. The limiter still runs (its Redis round trip is part of the cost).
           "RATE_LIMIT": "100000000 per minute", "SYNC_SCHEDULER_ENABLED": "false", "API_DOCS_ENABLED": "false",
           "APP_DATABASE_URL": f"sqlite:///{state / 'app.sqlite3'}"}
    try:
        threads = args.threads or load_settings("development", {}).server.threads
        with GunicornServer(workers=args.workers, threads=threads, env=env) as server:
            wait_for_snapshots(server)  # the charts answer 503 snapshot_pending until the first build ends
            prefix = tmp / "locust"
            user_class = "SessionUser" if args.model == "session" else "FrontendUser"
            cmd = [args.locust_python, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), user_class,
                   "--headless", "--host", server.base_url, "-u", str(args.users), "-r", str(args.spawn_rate),
                   "-t", f"{args.seconds}s", "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
                   "--stop-timeout", "35"]
            locust_env = {**os.environ, "TECHNO_ETL_NO_RESEND": "1" if args.no_resend else ""}
            before, scraped = Usage.now(server.proc.pid if server.proc else None), prometheus(server)
            subprocess.run(cmd, check=False, timeout=args.seconds + 180, env=locust_env)
            after = Usage.now(server.proc.pid if server.proc else None)
            report(prefix.with_name("locust_stats.csv"), args)
            failures(prefix.with_name("locust_failures.csv"))
            server_side(server, scraped)
            print(cpu_report(before, after))
            print(f"gunicorn workers: {args.workers}, threads: {server.env['GUNICORN_THREADS']}")
            if args.cold_restart:
                cold_restarts(server)
    finally:
        sandbox.stop()
    return 0


def state_dir(base: Path, profile: str, products: int) -> Path:
    """`base/<profile>-<products>`: a state built for one shop is never read back for another."""
    path = base / f"{profile}-{products}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def wait_for_snapshots(server: GunicornServer, timeout: float = 1800.0) -> None:
    """Wait for the dashboard snapshots the workers build at start (docs/dashboards.md; minutes on a large shop)."""
    import httpx

    def ready() -> bool:
        resp = httpx.get(server.base_url + "/api/dashboard/snapshots", headers=server.headers("operator"), timeout=5)
        return resp.status_code == 200 and all(d["status"] == "ready" for d in resp.json()["data"]["datasets"])
    started = time.monotonic()
    wait_until(ready, timeout=timeout, interval=0.5)
    print(f"dashboard snapshots built in {time.monotonic() - started:.1f} s after the start")


def cold_restarts(server: GunicornServer) -> None:
    """The first dashboard (22 calls) after a restart of Gunicorn with the snapshots already persisted.

    Twice: Redis kept (a Gunicorn restart or deploy), then Redis flushed too (snapshots read back from the
    app database, list calls go to Magento). The list pages asked for (7) are ones the session model never
    asks, so no proxy-cache entry of the run answers them in the first case either.
    """
    import redis

    from tests.support.dashboard import burst, summary

    for label, flush in (("Gunicorn restarted, Redis kept", False), ("Gunicorn restarted, Redis flushed", True)):
        server.stop()
        if flush:
            redis.Redis.from_url(REDIS_URL).flushdb()
        started = time.perf_counter()
        server.start(timeout=120)
        up = time.perf_counter() - started
        started = time.perf_counter()
        calls = burst(server.base_url, server.headers("viewer"), users=1, first_page=7)
        wall = time.perf_counter() - started
        slowest = max(calls, key=lambda c: c.seconds)
        print(f"cold start ({label}): ready in {up:.1f} s; first dashboard {summary(calls)}, whole burst "
              f"{wall:.2f} s, slowest {slowest.path.split('?')[0]} {slowest.seconds:.2f} s")
        for call in calls:
            if call.status != 200:
                print(f"  {call.status} {call.path}: {call.error[:120]}")


def prometheus(server: GunicornServer) -> str:
    """The merged Prometheus text of every worker ("" when it does not answer)."""
    import httpx

    try:  # a server still busy may answer late or not at all
        return httpx.get(server.base_url + "/api/metrics/prometheus", headers=server.headers("viewer"), timeout=60).text
    except httpx.HTTPError as exc:
        print(f"server: metrics unavailable ({exc!r})")
        return ""


def server_side(server: GunicornServer, before: str) -> None:
    """What the service says about the run: load shed by bulkheads/breakers, cache and single-flight use,
    status mix, and each route's server-side time over the run."""
    import httpx

    text = prometheus(server)
    try:
        metrics = httpx.get(server.base_url + "/api/metrics", headers=server.headers("viewer"), timeout=60).json()
    except httpx.HTTPError as exc:
        print(f"server: metrics unavailable after the run ({exc!r})")
        return
    shed = [line for line in text.splitlines() if line.startswith("techno_etl_breaker_rejected_total")]
    print("server: status mix", metrics["requests"]["byStatus"], "| cache hit rate", metrics["cache"]["hitRate"],
          "| backend", metrics["cache"]["backend"])
    print("server: refused at once (bulkhead / breaker):", "; ".join(shed) or "none")
    reads = [line.split("{", 1)[1] for line in text.splitlines()
             if line.startswith("techno_etl_magento_proxy_requests_total") and 'method="GET"' in line]
    print("server: proxied GETs by cache result (since the start):", "; ".join(reads) or "none")
    print("server-side time per route over the run (Prometheus buckets, all workers):")
    print("\n".join(server_percentiles(text, before)) or "  (no request histogram exported)")


def report(stats_csv: Path, args: argparse.Namespace) -> None:
    rows = list(csv.DictReader(stats_csv.open()))
    print(f"\n{args.model} model, {args.users} users, {args.seconds} s, sandbox {args.profile}, "
          f"latency {args.latency_ms} ms")
    print(f"{'name':48} {'reqs':>6} {'errs':>5} {'req/s':>7} {'err %':>6} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)")
    for row in rows:
        count = int(row["Request Count"])
        errors = int(row["Failure Count"])
        print(f"{(row['Type'] + ' ' + row['Name'])[:48]:48} {count:6d} {errors:5d} {float(row['Requests/s']):7.1f} "
              f"{100 * errors / max(count, 1):6.2f} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}")


def failures(failures_csv: Path) -> None:
    """Errors by call kind and cause (status code, timeout...)."""
    if not failures_csv.exists():
        return
    rows = list(csv.DictReader(failures_csv.open()))
    print("failures:" if rows else "failures: none")
    for row in rows:
        print(f"  {row['Occurrences']:>6} x {row['Method']} {row['Name']}: {row['Error'][:100]}")


if __name__ == "__main__":
    sys.exit(main())
