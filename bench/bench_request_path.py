"""Request-path cost under load: the full stack vs a bare Flask JSON app, same Gunicorn worker model, one run.

    python bench/bench_request_path.py [--rounds 3] [--seconds 4] [--connections 32] [--profile 8]

Both servers run side by side (2 gthread workers x 4 threads, production-like settings for the full stack:
Talisman, CORS, Compress, the limiter on Redis, auth, prometheus-flask-exporter in multiprocess mode, JSON
access log files). Each round runs wrk on /api/test and /api/health against one then the other (the order
alternates between rounds), so each ratio full/bare compares two back-to-back runs on the same machine
load. Prints every round's req/s ratio and p99s, then the median and range of the ratios (goals: /api/test
>= 0.55x, p99 <= 2x the bare app's). `--profile N` then samples one full-stack worker with py-spy for N
seconds while wrk drives /api/test and prints where its CPU goes (inclusive share by component, and the
top functions by own time). Needs `wrk`, Redis on 127.0.0.1:6379 and, for --profile, py-spy
(bench/requirements.txt).
"""
from __future__ import annotations

import argparse
import collections
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_http import PRODUCTION_LIKE, wrk  # noqa: E402
from tests.support.servers import TOKENS, GunicornServer  # noqa: E402

PATHS = ("/api/test", "/api/health")
# Where a sampled stack is, by the first matching frame file (inclusive: a stack counts once per component).
COMPONENTS = {
    "rate limiter": ("flask_limiter/", "limits/", "app/ratelimit", "ratelimit_storage"),
    "access log / request id": ("app/middleware.py", "logging/", "pythonjsonlogger", "app/logging.py"),
    "request metrics": ("prometheus_flask_exporter", "prometheus_client/", "app/request_metrics"),
    "auth": ("app/security.py",),
    "talisman": ("flask_talisman",),
    "cors": ("flask_cors",),
    "compress": ("flask_compress",),
    "smorest response schema": ("flask_smorest/response", "marshmallow/"),
    "memory guard (post_request)": ("gunicorn.conf.py", "psutil/"),
}


Row = tuple[float, float, float, float, float, float]


def cpu_seconds(server: GunicornServer) -> float:
    """User + system CPU time of the server's workers so far."""
    total = 0.0
    for pid in server.worker_pids():
        times = psutil.Process(pid).cpu_times()
        total += times.user + times.system
    return total


def run(server: GunicornServer, path: str, seconds: int, connections: int) -> tuple[float, float, float]:
    """(req/s, p99 ms, worker CPU ms per request): CPU per request hardly moves with the machine's load."""
    before = cpu_seconds(server)
    rps, p99 = wrk(server.base_url + path, seconds, connections, TOKENS["viewer"])
    return rps, p99, (cpu_seconds(server) - before) * 1000 / (rps * seconds)


def round_robin(full: GunicornServer, bare: GunicornServer, rounds: int, seconds: int,
                connections: int) -> dict[str, list[Row]]:
    """Per path, per round: (full rps, bare rps, full p99, bare p99, full CPU ms/req, bare CPU ms/req)."""
    results: dict[str, list[Row]] = {p: [] for p in PATHS}
    token = TOKENS["viewer"]
    for server in (full, bare):
        for path in PATHS:
            wrk(server.base_url + path, 2, connections, token)  # warm-up
    for index in range(rounds):
        order = (full, bare) if index % 2 == 0 else (bare, full)
        for path in PATHS:
            measured = {id(s): run(s, path, seconds, connections) for s in order}
            (f_rps, f_p99, f_cpu), (b_rps, b_p99, b_cpu) = measured[id(full)], measured[id(bare)]
            results[path].append((f_rps, b_rps, f_p99, b_p99, f_cpu, b_cpu))
            print(f"round {index + 1} {path:12} full {f_rps:6.0f} req/s p99 {f_p99:6.1f} ms {f_cpu:.3f} ms CPU | "
                  f"bare {b_rps:6.0f} req/s p99 {b_p99:6.1f} ms {b_cpu:.3f} ms CPU | ratio {f_rps / b_rps:.2f}, "
                  f"p99 x{f_p99 / b_p99:.2f}, CPU ratio bare/full {b_cpu / f_cpu:.2f}", flush=True)
    return results


def summary(results: dict[str, list[Row]]) -> None:
    print(f"\n{'path':12} {'req/s full/bare':>22} {'p99 full/bare':>22} {'CPU per request bare/full':>28}"
          "   (median (range) over the rounds)")
    for path, rows in results.items():
        columns = [[r[0] / r[1] for r in rows], [r[2] / r[3] for r in rows], [r[5] / r[4] for r in rows]]
        print(f"{path:12}" + "".join(f" {statistics.median(c):10.2f} ({min(c):.2f}-{max(c):.2f})" for c in columns)
              + f"   CPU ms/req full {statistics.median(r[4] for r in rows):.3f}, "
              f"bare {statistics.median(r[5] for r in rows):.3f}")


def profile(full: GunicornServer, seconds: int, connections: int) -> None:
    """py-spy on one worker while wrk drives /api/test, sampling the thread holding the GIL (CPU, not
    waits): inclusive share per component, top own-time frames."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    pid = full.worker_pids()[0]
    out = Path(tempfile.mkdtemp(prefix="bench-request-path-")) / "worker.collapsed"
    load = threading.Thread(target=wrk, args=(full.base_url + "/api/test", seconds + 2, connections,
                                              TOKENS["viewer"]))
    load.start()
    subprocess.run([spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "250",
                    "--gil", "--format", "raw", "--output", str(out), "--nonblocking"], check=True, capture_output=True)
    load.join()
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = rest = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        frames = stack.split(";")
        if not any("handle_request" in f or "wsgi_app" in f for f in frames):
            continue  # idle threads of the worker (accept loop, memory guard): not the request path
        total += samples
        own[frames[-1]] += samples
        hit = [name for name, markers in COMPONENTS.items() if any(m in f for f in frames for m in markers)]
        inclusive.update({name: samples for name in hit})
        rest += 0 if hit else samples
    print(f"\npy-spy, one worker, {seconds} s of /api/test under wrk: {total} request-path samples ({out})")
    print(f"{'component (inclusive)':34} share")
    for name, samples in inclusive.most_common():
        print(f"{name:34} {100 * samples / total:5.1f} %")
    print(f"{'rest (gunicorn, flask, the view)':34} {100 * rest / total:5.1f} %")
    print(f"\n{'top functions by own time':90} share")
    for frame, samples in own.most_common(15):
        print(f"{frame[:90]:90} {100 * samples / total:5.1f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--profile", type=int, default=0, help="seconds of py-spy on a full-stack worker")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    common = {**PRODUCTION_LIKE, "GUNICORN_THREADS": "4"}
    with GunicornServer(workers=2, env=common) as full, \
            GunicornServer(workers=2, env=common, app="bench.hello_app:app") as bare:
        results = round_robin(full, bare, args.rounds, args.seconds, args.connections)
        summary(results)
        if args.profile:
            profile(full, args.profile, args.connections)


if __name__ == "__main__":
    main()
