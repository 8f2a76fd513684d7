"""HTTP path cost: the full stack vs a bare Flask app under the same Gunicorn settings, same run.

    python bench/bench_http.py [--seconds 10] [--connections 32] [--recycles 200]

Prints req/s and p99 for /api/health and /api/test on both, their ratio (goal >= 0.8, p99 < 10 ms at
32 connections), and the scrape time of /api/metrics/prometheus after N worker recycles (goal < 100 ms)
against the scrape time before them. Needs `wrk` (Debian package) and Redis on 127.0.0.1:6379.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.servers import TOKENS, GunicornServer  # noqa: E402

PRODUCTION_LIKE = {
    "APP_ENV": "production", "SECRET_KEY": "bench-only-secret", "FORCE_HTTPS": "false", "LOG_LEVEL": "INFO",
    "LOG_FILES": "true", "REDIS_URL": "redis://127.0.0.1:6379/14", "RATE_LIMIT": "100000000 per minute",
    "MAX_REQUESTS": "0",
}


def wrk(url: str, seconds: int, connections: int, token: str | None) -> tuple[float, float]:
    """(requests per second, p99 latency in ms) from wrk --latency."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if token:
        cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{url}: {non2xx.group(1)} failed responses during the run")
    return rps, p99


def measure(server: GunicornServer, seconds: int, connections: int) -> dict[str, tuple[float, float]]:
    results = {}
    for path in ("/api/health", "/api/test"):
        wrk(server.base_url + path, 2, connections, TOKENS["viewer"])  # warm-up
        results[path] = wrk(server.base_url + path, seconds, connections, TOKENS["viewer"])
    return results


def scrape_ms(server: GunicornServer, samples: int = 15) -> float:
    times = []
    with httpx.Client(headers=server.headers("viewer")) as client:
        for _ in range(samples):
            start = time.perf_counter()
            client.get(server.base_url + "/api/metrics/prometheus").raise_for_status()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def recycle_bench(recycles: int) -> None:
    env = {**PRODUCTION_LIKE, "MAX_REQUESTS": "2"}  # jitter: MAX_REQUESTS // 10 = 0
    with GunicornServer(workers=2, env=env) as server:
        metrics_dir = Path(server.env["RUN_DIR"]) / "metrics"
        with httpx.Client(headers={**server.headers("viewer"), "Connection": "close"}) as client:
            client.get(server.base_url + "/api/test")
            before = scrape_ms(server)
            seen: set[int] = set(server.worker_pids())
            started = time.monotonic()
            while len(seen) < recycles + 2 and time.monotonic() - started < 900:
                try:
                    client.get(server.base_url + "/api/test")
                except httpx.HTTPError:
                    time.sleep(0.05)
                seen.update(server.worker_pids())
        after = scrape_ms(server)
        files = len(list(metrics_dir.glob("*.db")))
        print(f"scrape /api/metrics/prometheus: {before:.1f} ms before, {after:.1f} ms after "
              f"{len(seen) - 2} worker recycles ({files} metric files) -> ratio {after / before:.2f}x "
              f"[goal < 100 ms: {'met' if after < 100 else 'MISSED'}]")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--recycles", type=int, default=200)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    common = {**PRODUCTION_LIKE, "GUNICORN_THREADS": "4"}
    with GunicornServer(workers=2, env=common) as full:
        full_results = measure(full, args.seconds, args.connections)
    with GunicornServer(workers=2, env=common, app="bench.hello_app:app") as bare:
        bare_results = measure(bare, args.seconds, args.connections)
    print(f"{'path':14} {'bare rps':>10} {'full rps':>10} {'ratio':>7} {'bare p99':>9} {'full p99':>9}")
    for path in full_results:
        (b_rps, b_p99), (f_rps, f_p99) = bare_results[path], full_results[path]
        print(f"{path:14} {b_rps:10.0f} {f_rps:10.0f} {f_rps / b_rps:7.2f} {b_p99:8.1f}ms {f_p99:8.1f}ms")
    if args.recycles:
        recycle_bench(args.recycles)


if __name__ == "__main__":
    main()
