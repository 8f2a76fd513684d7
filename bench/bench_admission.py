"""Image admission and stop drill under the real Gunicorn: liveness during a burst, stop time after it.

Run:  .venv/bin/python bench/bench_admission.py [--root DIR] [--requests 12] [--workers 2]

Starts `gunicorn -c gunicorn.conf.py` from --root (default: this checkout; point it at an export of an
older commit to get the "before" figures) in its own process group with a private RUN_DIR, sends
--requests heavy image requests at once (a 12 MP JPEG, variants 2400/1200/600/300) while polling
GET /api/health every 100 ms, then sends SIGTERM to the whole process group (what systemd, docker stop
and Ctrl-C do) and times the exit. Prints the statuses of the burst, the liveness latencies (max, p50,
p95), the stop time, and whether stderr shows a traceback or a leaked-semaphore warning.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from PIL import Image, ImageFilter

TOKEN = "bench-operator-token"


def photo(width: int = 4000, height: int = 3000) -> bytes:
    noise = Image.effect_noise((width, height), 48).convert("RGB").filter(ImageFilter.GaussianBlur(1))
    buf = io.BytesIO()
    noise.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--requests", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-admission-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "APP_ENV": "testing", "HOST": "127.0.0.1", "PORT": str(port),
           "WEB_CONCURRENCY": str(args.workers), "RUN_DIR": str(tmp / "run"), "LOG_DIR": str(tmp / "logs"),
           "APP_DATABASE_URL": f"sqlite:///{tmp / 'app.sqlite3'}",
           "MDM_DATABASE_URL": f"sqlite:///{tmp / 'mdm.sqlite3'}",
           "API_TOKENS": f"operator:{hashlib.sha256(TOKEN.encode()).hexdigest()}", "PROMETHEUS_MULTIPROC_DIR": "",
           "IMAGE_OUTPUT_DIR": str(tmp / "images"), "RATE_LIMIT_ENABLED": "false", "PYTHONPATH": args.root}
    stderr_path = tmp / "stderr.log"
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=args.root, env=env,
                                stdout=err, stderr=err, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/api/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        # Encoded once: the client's own JSON work must not delay its liveness probes.
        body = json.dumps({"image": base64.b64encode(photo()).decode(), "sizes": [2400, 1200, 600, 300]}).encode()
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        one = httpx.post(base + "/api/images/process", content=body, headers=headers, timeout=120)
        alone = one.status_code
        statuses: list[str] = []
        latencies: list[float] = []
        stop = threading.Event()

        def heavy() -> None:
            try:
                r = httpx.post(base + "/api/images/process", content=body, headers=headers, timeout=120)
                statuses.append(f"{r.status_code} {r.json().get('error', '') if r.status_code != 200 else ''}".strip())
            except httpx.HTTPError as exc:
                statuses.append(type(exc).__name__)

        def probe() -> None:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    httpx.get(base + "/api/health", timeout=60)
                except httpx.HTTPError:
                    pass
                latencies.append(time.perf_counter() - started)
                time.sleep(0.1)

        prober = threading.Thread(target=probe)
        prober.start()
        burst_started = time.monotonic()
        threads = [threading.Thread(target=heavy) for _ in range(args.requests)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        burst = time.monotonic() - burst_started
        stop.set()
        prober.join()
        print(f"alone: {alone}; burst of {args.requests} in {burst:.1f} s: {dict(Counter(statuses))}")
        q = statistics.quantiles(latencies, n=20, method="inclusive") if len(latencies) > 1 else latencies * 19
        print(f"liveness during the burst: {len(latencies)} probes, max {max(latencies):.3f} s, "
              f"p50 {statistics.median(latencies):.3f} s, p95 {q[18]:.3f} s")
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            code = proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            code = None
        took = time.monotonic() - started
        time.sleep(1.0)  # the resource tracker reports leaks as it exits
        log = stderr_path.read_text(errors="replace")
        leaked = [line for line in log.splitlines() if "leaked semaphore" in line]
        print(f"stop after killpg SIGTERM: {took:.1f} s, exit {code}, traceback: {'Traceback' in log}, "
              f"leaked-semaphore lines: {len(leaked)}")
        if "Traceback" in log or leaked:
            print("--- stderr excerpt ---")
            print("\n".join(line for line in log.splitlines()
                            if "Error" in line or "leaked" in line or "Traceback" in line)[:3000])
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
