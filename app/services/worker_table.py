"""The worker table (`manage.py monit`, the ops page): pid, age, requests, CPU and memory per worker."""
from __future__ import annotations

import os
import time
from pathlib import Path
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


def serving_master_pid(run_dir: str) -> int | None:
    """The Gunicorn master serving this process (RUN_DIR/gunicorn.pid), or None when not under Gunicorn.

    The pid file is trusted only when it names this process's parent: a stale file left by another run
    (or a pid reused since) must not make the ops page list an unrelated process's children.
    """
    try:
        pid = int((Path(run_dir) / "gunicorn.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid == os.getppid() else None


def live_worker_rows(run_dir: str, metrics_dir: str,
                     cpu_sample: float = 0.1) -> tuple[int | None, list[dict[str, Any]]]:
    """(master pid or None, rows): the running Gunicorn's workers, or this process alone without Gunicorn."""
    master = serving_master_pid(run_dir)
    if master is not None:
        rows = [row for row in worker_rows(master, metrics_dir, cpu_sample) if not _is_helper(row["pid"])]
        return master, rows
    me = psutil.Process()
    me.cpu_percent(None)
    time.sleep(cpu_sample)
    children = me.children(recursive=True)
    return None, [{"pid": me.pid, "ageSeconds": time.time() - me.create_time(),
                   "requests": requests_by_pid(metrics_dir).get(me.pid, 0), "cpuPercent": me.cpu_percent(None),
                   "memoryMb": tree_uss(me.pid) / 1024 ** 2, "poolProcesses": len(children)}]


def _is_helper(pid: int) -> bool:
    """multiprocessing's forkserver can end up a direct child of the master: it is not a worker."""
    try:
        return "forkserver" in " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return True
