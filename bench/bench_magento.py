"""Magento proxy cost: a cached proxy GET through the full stack vs the bare Flask hello app (same Gunicorn
settings, same run), and the overhead an uncached proxy GET adds over calling the sandbox directly.

    python bench/bench_magento.py [--seconds 10] [--connections 32] [--samples 300]

Needs `wrk` and Redis on 127.0.0.1:6379 (the production-like settings of bench_http.py). The sandbox runs
in this process (threaded werkzeug server); both uncached paths reach the same sandbox, so the
difference is what the backend adds.

Proxy overhead (issue 14 item 4) = median latency through the backend - median latency calling the
sandbox directly: the same uncached products search (a unique query parameter each time), sequential
GETs over loopback HTTP from one keep-alive httpx.Client, the series interleaved in one run so they share
the machine's load. A third series, the bare relay (bench/hello_app.py: the Gunicorn hop plus one pooled
httpx call and nothing else), is the floor of any proxy on this stack; proxied - relay is what the
protections (auth, rate limit, breaker, bulkheads, cache, validation, access log) cost.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_http import PRODUCTION_LIKE, wrk  # noqa: E402
from magento_sandbox import SandboxOptions, start_sandbox_thread  # noqa: E402
from tests.support.servers import TOKENS, GunicornServer  # noqa: E402

ADMIN = {"username": "admin", "password": "sandbox123"}
CACHED_PATH = "/api/magento/store/storeConfigs"
LIST_QUERY = "searchCriteria[pageSize]=20&searchCriteria[currentPage]=1&fieldName=name"


def throughput(base_url: str, path: str, seconds: int, connections: int) -> tuple[float, float]:
    first = httpx.get(base_url + path, headers={"Authorization": f"Bearer {TOKENS['viewer']}"}, timeout=30)
    if first.status_code != 200:  # fills the cache once, before the concurrent load
        raise RuntimeError(f"{path}: HTTP {first.status_code} {first.text[:300]}")
    wrk(base_url + path, 2, connections, TOKENS["viewer"])  # warm-up
    return wrk(base_url + path, seconds, connections, TOKENS["viewer"])


def latencies(url: str, headers: dict[str, str], samples: int, query: bool = True) -> list[float]:
    """Sequential GETs with a unique extra parameter each, so none is served from a cache (ms)."""
    out = []
    with httpx.Client(headers=headers, timeout=30) as client:
        for i in range(samples + 20):
            start = time.perf_counter()
            resp = client.get(f"{url}?{LIST_QUERY}&bench={time.time_ns()}-{i}" if query else url)
            elapsed = (time.perf_counter() - start) * 1000
            if resp.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {resp.status_code} {resp.text[:200]}")
            if i >= 20:  # the first ones warm connections, the token and the code paths
                out.append(elapsed)
    return out


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--overhead-only", action="store_true", help="skip the wrk throughput runs")
    args = parser.parse_args()
    if not args.overhead_only and not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    sandbox = start_sandbox_thread("127.0.0.1", 0, options=SandboxOptions(
        products=500, consumer_delay_s=None, admin_username=ADMIN["username"], admin_password=ADMIN["password"]))
    try:
        env = {**PRODUCTION_LIKE, "GUNICORN_THREADS": "4", "MAGENTO_URL": sandbox.url,
               "MAGENTO_USERNAME": ADMIN["username"], "MAGENTO_PASSWORD": ADMIN["password"]}
        token = httpx.post(f"{sandbox.url}/rest/V1/integration/admin/token", json=ADMIN, timeout=10).json()
        with GunicornServer(workers=2, env=env) as full, \
                GunicornServer(workers=2, env=env, app="bench.hello_app:app") as bare:
            if not args.overhead_only:
                cached = throughput(full.base_url, CACHED_PATH, args.seconds, args.connections)
                smoke = throughput(full.base_url, "/api/test", args.seconds, args.connections)
                hello = throughput(bare.base_url, "/api/test", args.seconds, args.connections)
            # Interleaved rounds: every series shares the machine's load of the moment.
            direct, proxied, stack, bare_latency, relay = [], [], [], [], []
            for _ in range(3):
                direct += latencies(f"{sandbox.url}/rest/default/V1/products",
                                    {"Authorization": f"Bearer {token}"}, args.samples // 3)
                relay += latencies(bare.base_url + "/relay/products", {"Authorization": f"Bearer {token}"},
                                   args.samples // 3)
                proxied += latencies(full.base_url + "/api/magento/products", full.headers("viewer"),
                                     args.samples // 3)
                stack += latencies(full.base_url + "/api/test", full.headers("viewer"), args.samples // 3, False)
                bare_latency += latencies(bare.base_url + "/api/test", {}, args.samples // 3, False)
    finally:
        sandbox.stop()
    print(f"uncached products search (pageSize 20), {len(direct)} sequential GETs each over loopback HTTP from "
          "one keep-alive client, series interleaved in one run:")
    for name, values in (("sandbox directly", direct), ("bare relay (floor)", relay),
                         ("through the proxy", proxied)):
        print(f"  {name:18} median {statistics.median(values):6.2f} ms  p95 {pct(values, 95):6.2f} ms")
    for name, values in (("bare hello /api/test", bare_latency), ("full stack /api/test", stack)):
        print(f"  {name:18} median {statistics.median(values):6.2f} ms  p95 {pct(values, 95):6.2f} ms")
    overhead = statistics.median(proxied) - statistics.median(direct)
    shared = statistics.median(stack) - statistics.median(bare_latency)
    print(f"  of which the request stack every route pays (full /api/test - bare hello): +{shared:.2f} ms; "
          f"proxy-specific (rest): +{overhead - shared:.2f} ms")
    floor = statistics.median(relay) - statistics.median(direct)
    print(f"  floor of any proxy here (bare relay - direct): +{floor:.2f} ms; "
          f"the protections on top (proxied - bare relay): +{overhead - floor:.2f} ms")
    ratio = statistics.median(proxied) / statistics.median(direct)
    goal = "met" if overhead < 1 else "MISSED"
    print(f"  overhead (median through the proxy - median direct): +{overhead:.2f} ms (ratio {ratio:.2f}), "
          f"p95 +{pct(proxied, 95) - pct(direct, 95):.2f} ms [goal median < 1 ms: {goal}]")
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
