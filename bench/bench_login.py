"""Login answer time per path (integration user checked locally, a person checked by Magento, an unknown
user, an exhausted budget), without the floor (LOGIN_MIN_SECONDS=0, the baseline) and with it, same run.

    python bench/bench_login.py [--samples 10] [--magento-ms 150] [--floor 0.5]

Gunicorn with 2 workers in front of the in-process sandbox, whose admin-token call is slowed to
--magento-ms (a real shop hashes the password: ~100-300 ms). Prints the median per path and the spread
(slowest median - fastest): the timing signal an attacker could use to tell the paths apart.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from magento_sandbox import SandboxOptions, start_sandbox_thread  # noqa: E402
from tests.support.servers import GunicornServer  # noqa: E402

ADMIN = {"username": "admin", "password": "sandbox123"}
PERSON = {"username": "alice", "password": "alice-pw-2024"}
CASES = {
    "integration user, right password": lambda i: ADMIN,
    "integration user, wrong password": lambda i: {"username": "Admin", "password": f"x{i}"},
    "person, right password": lambda i: PERSON,
    "person, wrong password": lambda i: {"username": " Alice", "password": f"x{i}"},
    "unknown user": lambda i: {"username": f"nobody-{i}", "password": "x"},
    "budget exhausted (429)": lambda i: {"username": "blocked", "password": "x"},
}


def measure(sandbox_url: str, floor: float, samples: int) -> dict[str, float]:
    env = {"MAGENTO_URL": sandbox_url, "MAGENTO_USERNAME": ADMIN["username"], "MAGENTO_PASSWORD": ADMIN["password"],
           "LOGIN_RATE_LIMIT": "100000 per minute", "LOGIN_MIN_SECONDS": str(floor)}
    timings: dict[str, list[float]] = {name: [] for name in CASES}
    with GunicornServer(workers=2, env=env) as server, httpx.Client(timeout=30) as client:
        for _ in range(4):  # exhaust "blocked"
            client.post(server.base_url + "/api/auth/login", json=CASES["budget exhausted (429)"](0))
        for i in range(samples + 2):
            for name, body in CASES.items():  # a right password clears its account before the wrong one
                started = time.perf_counter()
                client.post(server.base_url + "/api/auth/login", json=body(f"{floor}-{i}"))
                if i >= 2:  # the first rounds warm connections and code paths
                    timings[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--magento-ms", type=int, default=150)
    parser.add_argument("--floor", type=float, default=0.5)
    args = parser.parse_args()
    options = SandboxOptions(products=20, consumer_delay_s=None, admin_username=ADMIN["username"],
                             admin_password=ADMIN["password"], other_admins={PERSON["username"]: PERSON["password"]})
    sandbox = start_sandbox_thread("127.0.0.1", 0, options=options)
    try:
        httpx.post(f"{sandbox.url}/__sandbox/faults",
                   json={"latency_ms": args.magento_ms, "paths": "integration/admin/token"}).raise_for_status()
        results = {floor: measure(sandbox.url, floor, args.samples) for floor in (0.0, args.floor)}
    finally:
        sandbox.stop()
    print(f"\nlogin answer time, median of {args.samples} (ms); Magento token call slowed to {args.magento_ms} ms")
    print(f"{'path':36} {'no floor':>10} {'floor ' + str(args.floor) + ' s':>14}")
    for name in CASES:
        print(f"{name:36} {results[0.0][name]:10.1f} {results[args.floor][name]:14.1f}")
    spreads = {floor: max(r.values()) - min(r.values()) for floor, r in results.items()}
    print(f"{'spread (slowest - fastest)':36} {spreads[0.0]:10.1f} {spreads[args.floor]:14.1f}")
    print(f"spread ratio with floor / without: {spreads[args.floor] / spreads[0.0]:.3f}")


if __name__ == "__main__":
    main()
