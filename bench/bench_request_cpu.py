"""CPU per request inside one process: the full app vs the bare Flask hello app, no server, no network.

    python bench/bench_request_cpu.py [--requests 20000] [--rounds 5] [--path /api/test] [--profile]

Calls each app's WSGI entry point directly with the request wrk sends (bearer token, no Origin), in
production-like settings (bench_http.PRODUCTION_LIKE: JSON access log files, the limiter on Redis,
Prometheus multiprocess files), and prints the best round's CPU time per request of each (process CPU:
the log writer thread included) and their ratio. Without Gunicorn's own ~0.2 ms per request, this shows
what the app's hooks cost, quickly and with little noise: the figure to watch while cutting the request
path (issue 17), before confirming with bench_request_path.py under Gunicorn. `--profile` prints the
full app's top functions by own time (cProfile) instead. Needs Redis on 127.0.0.1:6379.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def environ(path: str, token: str) -> dict[str, Any]:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "RAW_URI": path,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:8000", "HTTP_USER_AGENT": "wrk",
            "HTTP_ACCEPT": "*/*", "HTTP_AUTHORIZATION": f"Bearer {token}", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": True, "wsgi.run_once": False}


def caller(app: Any, path: str, token: str) -> Callable[[], str]:
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        statuses.append(status)

    def one() -> str:
        body = app(environ(path, token), start_response)
        b"".join(body)
        if hasattr(body, "close"):
            body.close()
        return statuses.pop()
    return one


def cpu_per_request(one: Callable[[], str], requests: int, rounds: int) -> float:
    """Best round's process CPU time per request, in microseconds."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(requests):
            one()
        best = min(best, (time.process_time() - start) / requests * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--path", default="/api/test")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="bench-request-cpu-"))
    (state / "metrics").mkdir()
    from bench.bench_http import PRODUCTION_LIKE
    from tests.support.servers import TOKENS, api_tokens_env, create_mdm_tables

    os.environ.update({**PRODUCTION_LIKE, "RUN_DIR": str(state / "run"), "LOG_DIR": str(state / "logs"),
                       "APP_DATABASE_URL": f"sqlite:///{state / 'app.sqlite3'}",
                       "MDM_DATABASE_URL": f"sqlite:///{state / 'mdm.sqlite3'}", "API_TOKENS": api_tokens_env(),
                       "PROMETHEUS_MULTIPROC_DIR": str(state / "metrics")})
    create_mdm_tables(os.environ["MDM_DATABASE_URL"])
    from app import create_app
    from bench.hello_app import app as bare_app

    full = caller(create_app().wsgi_app, args.path, TOKENS["viewer"])
    bare = caller(bare_app.wsgi_app, args.path, TOKENS["viewer"])
    for one in (full, bare):
        for _ in range(2000):  # warm-up: first-request work, caches, the limiter's first sync
            status = one()
        if not status.startswith("200"):
            sys.exit(f"{args.path} answered {status}")
    if args.profile:
        import cProfile
        import pstats
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [full() for _ in range(args.requests)])
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        return
    full_us = cpu_per_request(full, args.requests, args.rounds)
    bare_us = cpu_per_request(bare, args.requests, args.rounds)
    print(f"{args.path}: full app {full_us:.1f} us CPU per request, bare Flask {bare_us:.1f} us "
          f"(best of {args.rounds} rounds of {args.requests}); bare/full {bare_us / full_us:.2f}, "
          f"the app's hooks and services {full_us - bare_us:.1f} us")


if __name__ == "__main__":
    main()
