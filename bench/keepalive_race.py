"""Keep-alive reuse at Gunicorn's `keepalive`: what a client without browser-style resend gets.

    .venv/bin/python bench/keepalive_race.py [--idles 3.0,4.5,4.9,4.95,5.0,5.05,5.2,6.5] [--sessions 80]
        [--cycles 8]

Starts the bare hello app (bench/hello_app.py) under the repository's gunicorn.conf.py (keepalive 5 s),
then `--sessions` requests sessions (the load generator's HTTP client) each make a GET, sleep an idle time
drawn from `--idles` (+-20 ms), and GET again on the kept-alive connection, `--cycles` times. Prints the
outcome per idle time: a connection the server closes as the request is sent fails at once with a reset
(docs/resilience.md "10 users at once on the large shop", point 4).
"""
from __future__ import annotations

import argparse
import collections
import random
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.servers import GunicornServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idles", default="3.0,4.5,4.9,4.95,5.0,5.05,5.2,6.5")
    parser.add_argument("--sessions", type=int, default=80)
    parser.add_argument("--cycles", type=int, default=8)
    args = parser.parse_args()
    idles = [float(x) for x in args.idles.split(",")]
    outcomes: collections.Counter[tuple[float, str]] = collections.Counter()
    lock = threading.Lock()

    def session(base: str, seed: int) -> None:
        rnd = random.Random(seed)
        with requests.Session() as client:
            client.get(base + "/api/health", timeout=30)
            for _ in range(args.cycles):
                idle = rnd.choice(idles)
                time.sleep(idle + rnd.uniform(-0.02, 0.02))
                sent = time.perf_counter()
                try:
                    outcome = str(client.get(base + "/api/health", timeout=30).status_code)
                except requests.RequestException as exc:
                    outcome = f"{type(exc).__name__} after {time.perf_counter() - sent:.1f} s"
                with lock:
                    outcomes[(idle, outcome)] += 1

    with GunicornServer(workers=2, threads=16, app="bench.hello_app:app") as server:
        threads = [threading.Thread(target=session, args=(server.base_url, i)) for i in range(args.sessions)]
        for thread in threads:
            thread.start()
            time.sleep(0.05)  # spread the sessions over the idle window
        for thread in threads:
            thread.join()
    for (idle, outcome), count in sorted(outcomes.items()):
        print(f"idle {idle:5.2f} s: {count:4d} x {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
