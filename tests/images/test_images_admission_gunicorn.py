"""Image admission and stops under the real Gunicorn: probes answer during a burst, a group SIGTERM is quick."""
from __future__ import annotations

import base64
import io
import json
import os
import signal
import statistics
import subprocess
import threading
import time

import httpx
import pytest
from PIL import Image, ImageFilter

from tests.support.servers import GunicornServer

pytestmark = pytest.mark.slow


def _heavy_body() -> bytes:
    """A 12 MP textured JPEG asking for large variants: about a second of work in a pool process."""
    noise = Image.effect_noise((4000, 3000), 48).convert("RGB").filter(ImageFilter.GaussianBlur(1))
    buf = io.BytesIO()
    noise.save(buf, "JPEG", quality=90)
    return json.dumps({"image": base64.b64encode(buf.getvalue()).decode(), "sizes": [2400, 1200, 600, 300]}).encode()


def test_liveness_answers_within_a_second_while_12_heavy_image_requests_run():
    body = _heavy_body()  # encoded once: the client's own JSON work must not delay its probes
    with GunicornServer(workers=2, env={"RATE_LIMIT_ENABLED": "false"}) as server:
        headers = {**server.headers("operator"), "Content-Type": "application/json"}
        replies: list[httpx.Response] = []
        latencies: list[float] = []
        burst_over = threading.Event()

        def heavy() -> None:
            replies.append(httpx.post(server.base_url + "/api/images/process", content=body, headers=headers,
                                      timeout=120))

        def probe() -> None:
            while not burst_over.is_set():
                started = time.perf_counter()
                assert httpx.get(server.base_url + "/api/health", timeout=60).status_code == 200
                latencies.append(time.perf_counter() - started)
                time.sleep(0.1)

        prober = threading.Thread(target=probe)
        prober.start()
        burst = [threading.Thread(target=heavy) for _ in range(12)]
        for thread in burst:
            thread.start()
        for thread in burst:
            thread.join()
        burst_over.set()
        prober.join()

        statuses = sorted(r.status_code for r in replies)
        assert set(statuses) <= {200, 503} and statuses.count(200) >= 2, statuses
        for refused in (r for r in replies if r.status_code == 503):
            assert refused.json()["error"] == "image_queue_full" and int(refused.headers["Retry-After"]) >= 1
        assert len(latencies) >= 10
        # Before admission control every thread of a worker could wait on its pool: probes took 6-27 s.
        # Measured after it: max about 1 s on this loaded 2-core host (the note has the figures); the
        # bound leaves room for the host's load, not for a probe queued behind image work.
        assert statistics.median(latencies) < 0.5 and max(latencies) < 2.5, sorted(latencies)[-5:]


def test_process_group_sigterm_after_image_work_stops_within_5s_cleanly():
    small = {"image": base64.b64encode(_small_jpeg()).decode(), "sizes": [300, 150]}
    with GunicornServer(workers=2, own_process_group=True) as server:
        for _ in range(6):  # both workers start their pools
            assert httpx.post(server.base_url + "/api/images/process", json=small, headers=server.headers("operator"),
                              timeout=60).status_code == 200
        pool = [p for p in server.tree() if p.pid not in server.worker_pids()]
        assert pool
        started = time.monotonic()
        os.killpg(server.proc.pid, signal.SIGTERM)  # what systemd, docker stop and Ctrl-C do
        try:
            server.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            pytest.fail("Gunicorn did not stop within 40 s")
        took = time.monotonic() - started
        time.sleep(1.0)  # multiprocessing's resource tracker reports leaks as it exits, after the master
        log = server.log()
        assert took < 5.0, f"stop took {took:.1f} s\n{log[-3000:]}"
        assert server.proc.returncode == 0
        assert "Traceback" not in log and "leaked semaphore" not in log, log[-3000:]
        assert not [p for p in pool if p.is_running() and p.status() != "zombie"]


def _small_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.effect_noise((800, 600), 40).convert("RGB").save(buf, "JPEG", quality=85)
    return buf.getvalue()
