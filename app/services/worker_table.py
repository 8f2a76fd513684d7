"""The worker table (`manage.py monit`, the ops page): pid, age, requests, CPU and memory per worker."""
from __future__ import annotations

import time
from typing import Any

import psutil
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from app.procinfo import tree_uss


def requests_by_pid(metrics_dir: str) -> dict[int, int]:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=metrics_dir)
    out: dict[int, int] = {}
    for family in registry.collect():
        if family.name == "techno_etl_worker_requests":
            for sample in family.samples:
                out[int(sample.labels["pid"])] = int(sample.value)
    return out


def worker_rows(master_pid: int, metrics_dir: str, cpu_sample: float = 0.2) -> list[dict[str, Any]]:
    """One row per live worker of the Gunicorn master `master_pid`."""
    master = psutil.Process(master_pid)
    workers = [w for w in master.children() if w.status() != psutil.STATUS_ZOMBIE]
    for worker in workers:
        worker.cpu_percent(None)  # first call primes the counter
    time.sleep(cpu_sample)
    served = requests_by_pid(metrics_dir)
    rows = []
    for worker in workers:
        try:
            children = worker.children(recursive=True)
            rows.append({
                "pid": worker.pid, "ageSeconds": time.time() - worker.create_time(),
                "requests": served.get(worker.pid, 0), "cpuPercent": worker.cpu_percent(None),
                "memoryMb": tree_uss(worker.pid) / 1024 ** 2, "poolProcesses": len(children),
            })
        except psutil.NoSuchProcess:
            continue
    return rows
