"""The real Gunicorn: merged metrics across workers, memory recycling, graceful HUP, bounded metric files."""
from __future__ import annotations

import os
import signal
import threading
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.servers import GunicornServer, wait_until

pytestmark = pytest.mark.slow


def _steady_load(server: GunicornServer, stop: threading.Event, results: list) -> None:
    with httpx.Client(timeout=10, headers={**server.headers("viewer"), "Connection": "close"}) as client:
        while not stop.is_set():
            try:
                results.append(client.get(server.base_url + "/api/test").status_code)
            except httpx.HTTPError as exc:
                results.append(repr(exc))


def test_two_workers_one_scrape_sees_every_request():
    with GunicornServer(workers=2) as server:
        n = 60
        with httpx.Client(headers={**server.headers("viewer"), "Connection": "close"}) as client:
            for _ in range(n):
                assert client.get(server.base_url + "/api/test").status_code == 200
            text = client.get(server.base_url + "/api/metrics/prometheus").text
            overview = client.get(server.base_url + "/api/metrics").json()
        families = {f.name: f for f in text_string_to_metric_families(text)}  # a real parser
        served = sum(s.value for s in families["techno_etl_http_request"].samples
                     if s.name == "techno_etl_http_request_total" and s.labels["status"] == "200")
        assert served == n
        per_worker = [s for s in families["techno_etl_worker_requests"].samples]
        assert len(per_worker) == 2  # both workers answered some of them
        assert overview["requests"]["total"] >= n and overview["requests"]["p95ResponseTime"] is not None
        # probes and metrics paths are not metered
        assert "/api/metrics" not in text.split("techno_etl_http_request_duration_seconds")[1].split("# HELP")[0]


def test_worker_over_the_memory_limit_is_recycled_and_no_request_fails():
    env = {"MAX_WORKER_MEMORY": "160M", "MEMORY_CHECK_INTERVAL": "0.5"}
    with GunicornServer(workers=2, env=env) as server:
        before = set(server.worker_pids())
        stop, results = threading.Event(), []
        load = threading.Thread(target=_steady_load, args=(server, stop, results))
        load.start()
        resp = httpx.post(server.base_url + "/api/testing/allocate", json={"mb": 200}, headers=server.headers())
        assert resp.status_code == 200
        big = resp.json()["pid"]
        wait_until(lambda: big not in server.worker_pids(), timeout=20)
        wait_until(lambda: len(server.worker_pids()) == 2, timeout=20)
        time.sleep(0.5)
        stop.set()
        load.join()
        assert set(server.worker_pids()) != before
        failures = [r for r in results if r != 200]
        assert results and not failures, failures[:5]
        text = httpx.get(server.base_url + "/api/metrics/prometheus", headers=server.headers("viewer")).text
        assert 'techno_etl_worker_recycles_total{reason="memory"} 1.0' in text
        assert "recycling" in server.log()


def test_hup_under_a_steady_stream_fails_no_request():
    with GunicornServer(workers=2) as server:
        stop, results = threading.Event(), []
        load = threading.Thread(target=_steady_load, args=(server, stop, results))
        load.start()
        time.sleep(0.5)
        old = set(server.worker_pids())
        server.signal(signal.SIGHUP)
        wait_until(lambda: not (set(server.worker_pids()) & old) and len(server.worker_pids()) == 2, timeout=30)
        time.sleep(0.5)
        stop.set()
        load.join()
        failures = [r for r in results if r != 200]
        assert len(results) > 20 and not failures, failures[:5]


def test_metric_files_stay_bounded_when_workers_recycle():
    env = {"MAX_REQUESTS": "3"}  # jitter: MAX_REQUESTS // 10 = 0
    with GunicornServer(workers=2, env=env) as server:
        metrics_dir = os.path.join(server.env["RUN_DIR"], "metrics")
        n = 60
        with httpx.Client(headers={**server.headers("viewer"), "Connection": "close"}) as client:
            for _ in range(n):
                wait_until(lambda: client.get(server.base_url + "/api/test").status_code == 200, timeout=10)
            time.sleep(1.0)
            text = client.get(server.base_url + "/api/metrics/prometheus").text
        files = [f for f in os.listdir(metrics_dir) if f.endswith(".db")]
        # two archives plus the live workers' own files, however many workers have come and gone
        assert len(files) <= 2 + 2 * 6, files
        served = sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
                     if s.name == "techno_etl_http_request_total" and s.labels["status"] == "200")
        assert served >= n  # nothing lost with the dead workers' files
        assert "max_requests" in text
