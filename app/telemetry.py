"""Prometheus metrics in multiprocess mode: metric factories and the merged collection.

prometheus_client decides at import time whether it runs in multiprocess mode, so this module makes
sure PROMETHEUS_MULTIPROC_DIR is set before importing it (gunicorn.conf.py and manage.py set it
earlier still). Every process writes its own files; a scrape merges them, so counters survive worker
recycling and percentiles come from merged histogram buckets.
"""
from __future__ import annotations

import os
import tempfile

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Without gunicorn.conf.py or manage.py (a bare `flask run`, a REPL): a private directory.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="techno-etl-metrics-")
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram  # noqa: E402
from prometheus_client.multiprocess import MultiProcessCollector  # noqa: E402

PREFIX = "techno_etl_"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def multiproc_dir() -> str:
    return os.environ["PROMETHEUS_MULTIPROC_DIR"]


def counter(name: str, documentation: str, labels: tuple[str, ...] = ()) -> Counter:
    return Counter(PREFIX + name, documentation, labels, registry=None)


def histogram(name: str, documentation: str, labels: tuple[str, ...] = (),
              buckets: tuple[float, ...] = LATENCY_BUCKETS) -> Histogram:
    return Histogram(PREFIX + name, documentation, labels, buckets=buckets, registry=None)


def gauge(name: str, documentation: str, labels: tuple[str, ...] = (), mode: str = "livesum") -> Gauge:
    """Gauges need a multiprocess mode: livesum/liveall/livemax/... (live* drop dead workers' values)."""
    return Gauge(PREFIX + name, documentation, labels, registry=None, multiprocess_mode=mode)


def collect_registry() -> CollectorRegistry:
    """A registry that reads every process's metric files (the merged, cross-worker view)."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


# Process-level metrics shared by several areas.
WORKER_RECYCLES = counter("worker_recycles_total", "Gunicorn workers recycled, by reason.", ("reason",))
WORKER_REQUESTS = gauge("worker_requests", "Requests served by each live worker.", mode="liveall")
WORKER_STARTED = gauge("worker_start_time_seconds", "Start time of each live worker.", mode="liveall")

# Set by gunicorn.conf.py's memory guard (each idle check measures the worker + pool USS anyway), so
# Prometheus can alert before the recycle limit is reached, not only count recycles after it.
WORKER_MEMORY = gauge("worker_memory_bytes", "USS of each live worker plus its image pool.", mode="liveall")
WORKER_MEMORY_LIMIT = gauge("worker_memory_limit_bytes", "MAX_WORKER_MEMORY: the recycle limit.", mode="livemax")
