"""The image pool under the real Gunicorn: no pool process outlives its worker."""
from __future__ import annotations

import base64
import io
import os
import signal
import threading
import time

import httpx
import psutil
import pytest
from PIL import Image, ImageFilter

from tests.support.servers import GunicornServer, wait_until

pytestmark = pytest.mark.slow


def _photo(width: int, height: int) -> bytes:
    """A textured JPEG (noise + blur), heavy enough that variants take a while to compute."""
    noise = Image.effect_noise((width, height), 64).convert("RGB").filter(ImageFilter.GaussianBlur(2))
    buf = io.BytesIO()
    noise.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def _pool_processes(worker_pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(worker_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    return [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def test_sigkilled_worker_leaves_no_orphan_pool_process():
    image = base64.b64encode(_photo(6000, 4000)).decode()
    body = {"image": image, "sizes": [4000, 2000, 1000, 500, 250], "format": "PNG"}
    with GunicornServer(workers=1, env={"IMAGE_POOL_SIZE": "2", "GUNICORN_TIMEOUT": "120"}) as server:
        worker = server.worker_pids()[0]
        # warm-up: the pool exists and the worker serves images
        small = {"image": base64.b64encode(_photo(400, 300)).decode(), "sizes": [100]}
        assert httpx.post(server.base_url + "/api/images/process", json=small, headers=server.headers("operator"),
                          timeout=60).status_code == 200
        pool = _pool_processes(worker)
        assert len(pool) >= 2, "the worker should own its pool processes"
        outcome = {}

        def long_request() -> None:
            try:
                outcome["status"] = httpx.post(server.base_url + "/api/images/process", json=body,
                                               headers=server.headers("operator"), timeout=60).status_code
            except httpx.HTTPError as exc:
                outcome["error"] = repr(exc)

        thread = threading.Thread(target=long_request)
        thread.start()
        wait_until(lambda: any(p.cpu_percent(0.05) > 20 for p in _alive(_pool_processes(worker))), timeout=20)
        os.kill(worker, signal.SIGKILL)
        thread.join(timeout=60)
        assert "error" in outcome or outcome.get("status", 200) >= 500
        wait_until(lambda: not _alive(pool), timeout=15)  # every pool process of the killed worker is gone
        wait_until(lambda: server.worker_pids() and server.worker_pids()[0] != worker, timeout=30)


def test_worker_recycled_for_memory_stops_its_pool():
    env = {"MAX_WORKER_MEMORY": "300M", "MEMORY_CHECK_INTERVAL": "0.5", "IMAGE_POOL_SIZE": "1"}
    with GunicornServer(workers=1, env=env) as server:
        worker = server.worker_pids()[0]
        small = {"image": base64.b64encode(_photo(400, 300)).decode(), "sizes": [100]}
        assert httpx.post(server.base_url + "/api/images/process", json=small, headers=server.headers("operator"),
                          timeout=60).status_code == 200
        pool = _pool_processes(worker)
        assert pool
        assert httpx.post(server.base_url + "/api/testing/allocate", json={"mb": 320},
                          headers=server.headers()).status_code == 200
        wait_until(lambda: worker not in server.worker_pids(), timeout=30)
        wait_until(lambda: not _alive(pool), timeout=15)
        assert httpx.get(server.base_url + "/api/test", headers=server.headers("viewer")).status_code == 200
        time.sleep(0.1)
