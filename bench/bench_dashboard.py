"""The React dashboard's burst against the real Gunicorn (2 workers) and the sandbox, per thread count.

    python bench/bench_dashboard.py [--threads 4 8 16 32] [--latency-ms 200] [--users 10] [--env K=V ...]

For each thread count, one run: 10 users' dashboards at once with cold caches (22 calls each), one user's
dashboard, then 10 users at once again (list pages varied per user, so the lists reach Magento). Prints the
statuses, p50/p95/max of each burst and the workers' USS after the runs. The sandbox runs in this process
and answers every call `--latency-ms` late (its latency fault), so calls overlap as against a real shop.
Baseline of the same run: the first thread count (4, the old default).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from magento_sandbox import SandboxOptions, start_sandbox_thread  # noqa: E402
from tests.support.dashboard import burst, summary  # noqa: E402
from tests.support.servers import GunicornServer  # noqa: E402

ADMIN = {"username": "admin", "password": "sandbox123"}


def run(sandbox_url: str, threads: int, users: int, extra: dict[str, str]) -> dict[str, object]:
    env = {"MAGENTO_URL": sandbox_url, "MAGENTO_USERNAME": ADMIN["username"], "MAGENTO_PASSWORD": ADMIN["password"],
           "BREAKERS_ENABLED": "1", "BULKHEADS_ENABLED": "1", "RATE_LIMIT_ENABLED": "0", "LOG_LEVEL": "WARNING",
           **extra}
    with GunicornServer(workers=2, threads=threads, env=env) as server:
        headers = server.headers("viewer")
        cold = burst(server.base_url, headers, users=users, vary_pages=True)
        one = burst(server.base_url, headers, users=1)
        warm = burst(server.base_url, headers, users=users, vary_pages=True)
        uss = [round(psutil.Process(pid).memory_full_info().uss / 2 ** 20) for pid in server.worker_pids()]
    return {"threads": threads, f"{users}UsersCold": summary(cold), "oneUser": summary(one),
            f"{users}Users": summary(warm), "workerUssMiB": uss}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, nargs="+", default=[4, 8, 16, 32])
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--products", type=int, default=120)
    parser.add_argument("--env", nargs="*", default=[], help="extra settings for the backend, K=V")
    args = parser.parse_args()
    extra = dict(kv.split("=", 1) for kv in args.env)
    sandbox = start_sandbox_thread("127.0.0.1", 0, options=SandboxOptions(
        products=args.products, seed=7, consumer_delay_s=None, admin_username=ADMIN["username"],
        admin_password=ADMIN["password"]))
    try:
        httpx.post(f"{sandbox.url}/__sandbox/faults", json={"latency_ms": args.latency_ms}).raise_for_status()
        print(f"sandbox latency {args.latency_ms} ms, {args.products} products, 2 workers, pid {os.getpid()}")
        for threads in args.threads:
            print(json.dumps(run(sandbox.url, threads, args.users, extra)), flush=True)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
