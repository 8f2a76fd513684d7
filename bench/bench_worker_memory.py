"""A Gunicorn worker's idle memory: USS after start and after N requests, without the image pool.

    python bench/bench_worker_memory.py [--requests 1000] [--top 15]

One worker (production-like settings, as bench/bench_http.py) is started; its USS (psutil's
memory_full_info().uss: the pages only this process holds) and its children are read once the worker
answers, then after N requests spread over the common routes (/api/test, /api/health, the OpenAPI
document, a 404). Goal: <= 60 MB with no image pool (no forkserver, no pool process). `--top` lists
the heaviest top-level packages the worker has imported (by the number of their modules), a hint of
what is loaded at start that a rare route could import lazily.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_http import PRODUCTION_LIKE  # noqa: E402
from tests.support.servers import ROOT, TOKENS, GunicornServer  # noqa: E402

PATHS = ("/api/test", "/api/health", "/api/health/ready", "/api/openapi.json", "/api/nothing-here")
MB = 1024 * 1024


def uss(pid: int) -> tuple[float, list[str]]:
    """(USS in MB, the command lines of the process's children)."""
    proc = psutil.Process(pid)
    children = [" ".join(c.cmdline())[:80] for c in proc.children(recursive=True)]
    return proc.memory_full_info().uss / MB, children


def imported_packages(server: GunicornServer, top: int) -> None:
    """The heaviest top-level packages loaded by `create_app()` with the worker's settings (a fresh process
    makes the same imports as the worker at start), by number of modules."""
    code = ("import collections, sys; from app import create_app; create_app(); "
            "c = collections.Counter(m.split('.')[0] for m in sys.modules); print(len(sys.modules)); "
            f"[print(n, k) for k, n in c.most_common({top})]")
    out = subprocess.run([sys.executable, "-c", code], env=server.env, cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split("\n")
    print(f"create_app() imports {out[0]} modules; the top-level packages with the most:")
    print("  " + ", ".join(f"{line.split()[1]} {line.split()[0]}" for line in out[1:] if line.strip()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--top", type=int, default=15, help="list the N packages with the most modules (0: no)")
    args = parser.parse_args()
    env = {**PRODUCTION_LIKE, "GUNICORN_THREADS": "4"}
    with GunicornServer(workers=1, env=env) as server:
        pid = server.worker_pids()[0]
        time.sleep(1.0)  # let the start settle (lazy threads, first checks)
        start, children = uss(pid)
        print(f"worker {pid} after start: USS {start:.1f} MB; children: {children or 'none'}")
        with httpx.Client(headers={"Authorization": f"Bearer {TOKENS['viewer']}"}) as client:
            for n in range(args.requests):
                client.get(server.base_url + PATHS[n % len(PATHS)])
        after, children = uss(pid)
        print(f"after {args.requests} requests: USS {after:.1f} MB (+{after - start:.1f}); "
              f"children: {children or 'none'}")
        print(f"goal <= 60 MB without the image pool: {'met' if after <= 60 else 'MISSED'}")
        if args.top:
            imported_packages(server, args.top)


if __name__ == "__main__":
    main()
