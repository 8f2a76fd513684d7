"""Magento proxy cost: a cached proxy GET through the full stack vs the bare Flask hello app (same Gunicorn
settings, same run), and the overhead an uncached proxy GET adds over calling the sandbox directly.

    python bench/bench_magento.py [--seconds 10] [--connections 32] [--samples 600] [--overhead-only]

Needs `wrk` (unless --overhead-only) and Redis on 127.0.0.1:6379 (the production-like settings of
bench_http.py). The sandbox runs in a child process (`python -m magento_sandbox`, output discarded), so
the client's process only measures; every path reaches the same sandbox.

Proxy overhead (issue 14 item 4) = median latency through the backend - median latency calling the
sandbox directly: the same uncached products search (a unique query parameter each time), sequential
GETs over loopback HTTP, one keep-alive httpx.Client per server, in blocks of 25 that rotate over the
series, so every series shares the machine's load of the moment. Three relays under the same
gunicorn.conf.py bound what any proxy can reach here:
- raw WSGI + http.client (bench/raw_relay_app.py): Gunicorn's hop and one stdlib call, nothing else: the
  floor of any proxy Gunicorn serves;
- Flask + http.client (bench/hello_app.py /relay-stdlib): the floor of a Flask proxy;
- Flask + httpx (/relay): the same with the HTTP client the app uses.
proxied - Flask+httpx relay is what the protections (auth, rate limit, breaker, bulkheads, shared cache,
validation, compression, access log) cost. Each server's worker CPU per request is printed too: on this
shared machine CPU time moves less than wall time, and the overhead of a sequential request is its CPU.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_http import PRODUCTION_LIKE, wrk  # noqa: E402
from tests.support.servers import TOKENS, GunicornServer, free_port, wait_until  # noqa: E402

ADMIN = {"username": "admin", "password": "sandbox123"}
CACHED_PATH = "/api/magento/store/storeConfigs"
LIST_QUERY = "searchCriteria[pageSize]=20&searchCriteria[currentPage]=1&fieldName=name"
BLOCK = 25  # sequential GETs per series before the next series takes its turn
ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def sandbox_process() -> Iterator[str]:
    """The sandbox in a child process (`python -m magento_sandbox`, 500 products); yields its base URL."""
    port = free_port()
    env = {**os.environ, "SANDBOX_ADMIN_USERNAME": ADMIN["username"], "SANDBOX_ADMIN_PASSWORD": ADMIN["password"]}
    proc = subprocess.Popen([sys.executable, "-m", "magento_sandbox", "--port", str(port), "--products", "500"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(url + "/rest/V1/store/storeConfigs", timeout=1).status_code < 500, timeout=60)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def throughput(base_url: str, path: str, seconds: int, connections: int) -> tuple[float, float]:
    first = httpx.get(base_url + path, headers={"Authorization": f"Bearer {TOKENS['viewer']}"}, timeout=30)
    if first.status_code != 200:  # fills the cache once, before the concurrent load
        raise RuntimeError(f"{path}: HTTP {first.status_code} {first.text[:300]}")
    wrk(base_url + path, 2, connections, TOKENS["viewer"])  # warm-up
    return wrk(base_url + path, seconds, connections, TOKENS["viewer"])


def latencies(client: httpx.Client, url: str, samples: int, query: bool = True) -> list[float]:
    """Sequential GETs with a unique extra parameter each, so none is served from a cache (ms)."""
    out = []
    for i in range(samples):
        start = time.perf_counter()
        resp = client.get(f"{url}?{LIST_QUERY}&bench={time.time_ns()}-{i}" if query else url)
        out.append((time.perf_counter() - start) * 1000)
        if resp.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {resp.status_code} {resp.text[:200]}")
    return out


def worker_cpu(server: GunicornServer) -> float:
    """CPU seconds (user + system) used so far by the server's workers."""
    return sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in server.worker_pids())


def overhead_series(sandbox: str, token: str, full: GunicornServer, bare: GunicornServer, raw: GunicornServer,
                    samples: int) -> dict[str, tuple[list[float], float]]:
    """name -> (latencies in ms, worker CPU ms per request), the series rotating in blocks of BLOCK."""
    magento = {"Authorization": f"Bearer {token}"}
    series = {  # name: (server whose workers do the work, headers, url, query)
        "sandbox directly": (None, magento, f"{sandbox}/rest/default/V1/products", True),
        "raw WSGI + http.client relay": (raw, magento, raw.base_url + "/relay/products", True),
        "Flask + http.client relay": (bare, magento, bare.base_url + "/relay-stdlib/products", True),
        "Flask + httpx relay": (bare, magento, bare.base_url + "/relay/products", True),
        "through the proxy": (full, full.headers("viewer"), full.base_url + "/api/magento/products", True),
        "bare hello /api/test": (bare, {}, bare.base_url + "/api/test", False),
        "full stack /api/test": (full, full.headers("viewer"), full.base_url + "/api/test", False),
    }
    clients = {name: httpx.Client(headers=headers, timeout=30) for name, (_, headers, _, _) in series.items()}
    results: dict[str, tuple[list[float], float]] = {name: ([], 0.0) for name in series}
    try:
        for name, (_, _, url, query) in series.items():
            latencies(clients[name], url, 20, query)  # warm connections, the token and the code paths
        for turn in range(max(1, samples // BLOCK)):
            names = list(series) if turn % 2 == 0 else list(reversed(series))
            for name in names:
                server, _, url, query = series[name]
                before = worker_cpu(server) if server else 0.0
                values = latencies(clients[name], url, BLOCK, query)
                cpu_ms = (worker_cpu(server) - before) * 1000 if server else 0.0
                results[name] = (results[name][0] + values, results[name][1] + cpu_ms)
    finally:
        for client in clients.values():
            client.close()
    return {name: (values, cpu / len(values)) for name, (values, cpu) in results.items()}


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def report_overhead(results: dict[str, tuple[list[float], float]]) -> None:
    median = {name: statistics.median(values) for name, (values, _) in results.items()}
    direct = median["sandbox directly"]
    print(f"uncached products search (pageSize 20), {len(results['sandbox directly'][0])} sequential GETs per "
          f"series over loopback HTTP, blocks of {BLOCK} rotating over the series in one run:")
    for name, (values, cpu) in results.items():
        over = f"+{median[name] - direct:5.2f} ms" if "api/test" not in name and name != "sandbox directly" else ""
        worker = f"worker CPU {cpu:5.2f} ms/request" if cpu else ""
        print(f"  {name:30} median {median[name]:6.2f} ms  p95 {pct(values, 95):6.2f} ms  {over:>10}  {worker}")
    overhead = median["through the proxy"] - direct
    raw_floor = median["raw WSGI + http.client relay"] - direct
    flask_floor = median["Flask + http.client relay"] - direct
    protections = median["through the proxy"] - median["Flask + httpx relay"]
    shared = median["full stack /api/test"] - median["bare hello /api/test"]
    print(f"  floor of any proxy Gunicorn serves (raw WSGI relay - direct): +{raw_floor:.2f} ms; of a Flask "
          f"proxy (Flask + http.client relay - direct): +{flask_floor:.2f} ms")
    print(f"  the protections (proxied - Flask + httpx relay): +{protections:.2f} ms, of which the request "
          f"stack every route pays (full /api/test - bare hello): +{shared:.2f} ms")
    goal = "met" if overhead < 1 else "MISSED"
    print(f"  overhead (median through the proxy - median direct): +{overhead:.2f} ms "
          f"(ratio {median['through the proxy'] / direct:.2f}; {overhead / raw_floor:.1f}x the raw relay floor), "
          f"p95 +{pct(results['through the proxy'][0], 95) - pct(results['sandbox directly'][0], 95):.2f} ms "
          f"[goal median < 1 ms: {goal}]")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--samples", type=int, default=600)
    parser.add_argument("--overhead-only", action="store_true", help="skip the wrk throughput runs")
    args = parser.parse_args()
    if not args.overhead_only and not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    with sandbox_process() as sandbox:
        env = {**PRODUCTION_LIKE, "GUNICORN_THREADS": "4", "MAGENTO_URL": sandbox,
               "MAGENTO_USERNAME": ADMIN["username"], "MAGENTO_PASSWORD": ADMIN["password"]}
        token = httpx.post(f"{sandbox}/rest/V1/integration/admin/token", json=ADMIN, timeout=10).json()
        with GunicornServer(workers=2, env=env) as full, \
                GunicornServer(workers=2, env=env, app="bench.hello_app:app") as bare, \
                GunicornServer(workers=2, env=env, app="bench.raw_relay_app:app") as raw:
            if not args.overhead_only:
                cached = throughput(full.base_url, CACHED_PATH, args.seconds, args.connections)
                smoke = throughput(full.base_url, "/api/test", args.seconds, args.connections)
                hello = throughput(bare.base_url, "/api/test", args.seconds, args.connections)
            results = overhead_series(sandbox, token, full, bare, raw, args.samples)
    report_overhead(results)
    if args.overhead_only:
        return
    ratio = cached[0] / hello[0]
    print(f"{'GET':38} {'rps':>8} {'p99':>9}")
    print(f"{'bare hello /api/test':38} {hello[0]:8.0f} {hello[1]:8.1f}ms")
    print(f"{'full stack /api/test (no upstream)':38} {smoke[0]:8.0f} {smoke[1]:8.1f}ms")
    print(f"{'full stack ' + CACHED_PATH + ' (cached)':38} {cached[0]:8.0f} {cached[1]:8.1f}ms")
    print(f"cached proxy / hello ratio: {ratio:.2f} [goal >= 0.6: {'met' if ratio >= 0.6 else 'MISSED'}]; "
          f"cached proxy / full-stack /api/test: {cached[0] / smoke[0]:.2f}")


if __name__ == "__main__":
    main()
