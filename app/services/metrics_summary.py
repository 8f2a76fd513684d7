"""JSON views of the merged Prometheus metrics: the same numbers a scrape sees, summed over workers.

Percentiles come from the merged histogram buckets (as PromQL's histogram_quantile does); averaging
per-worker percentiles would be wrong.
"""
from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from app import lifecycle
from app.telemetry import collect_registry

# Merged samples by name: {sample_name: [(labels, value), ...]}; a section turns them into JSON.
Samples = dict[str, list[tuple[dict[str, str], float]]]
Section = Callable[[Samples], dict[str, Any]]

REQUEST_TOTAL = "techno_etl_http_request_total"
REQUEST_DURATION = "techno_etl_http_request_duration_seconds"


def samples() -> Samples:
    """Every merged sample by name: {sample_name: [(labels, value), ...]}."""
    out: Samples = defaultdict(list)
    for family in collect_registry().collect():
        for sample in family.samples:
            out[sample.name].append((sample.labels, sample.value))
    return out


def total(data: Samples, name: str, **match: str) -> float:
    return sum(v for labels, v in data.get(name, []) if all(labels.get(k) == val for k, val in match.items()))


def quantile_from_buckets(buckets: Iterable[tuple[float, float]], q: float) -> float | None:
    """histogram_quantile over cumulative (upper_bound, count) pairs; None when empty."""
    ordered = sorted(buckets)
    if not ordered or ordered[-1][1] == 0:
        return None
    rank = q * ordered[-1][1]
    prev_bound, prev_count = 0.0, 0.0
    for bound, count in ordered:
        if count >= rank:
            if math.isinf(bound):
                return prev_bound
            if count == prev_count:
                return bound
            return prev_bound + (bound - prev_bound) * (rank - prev_count) / (count - prev_count)
        prev_bound, prev_count = bound, count
    return prev_bound


def histogram_summary(data: Samples, name: str, **match: str) -> dict[str, Any]:
    """count, sum, avg and p50/p95/p99 (seconds) of a merged histogram."""
    buckets: dict[float, float] = defaultdict(float)
    for labels, value in data.get(name + "_bucket", []):
        if all(labels.get(k) == v for k, v in match.items()):
            buckets[float(labels["le"])] += value
    count = total(data, name + "_count", **match)
    seconds = total(data, name + "_sum", **match)
    pairs = list(buckets.items())
    return {
        "count": int(count), "sum": seconds, "avg": seconds / count if count else None,
        "p50": quantile_from_buckets(pairs, 0.50), "p95": quantile_from_buckets(pairs, 0.95),
        "p99": quantile_from_buckets(pairs, 0.99),
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


def request_summary(data: Samples) -> dict[str, Any]:
    by_status: dict[str, float] = defaultdict(float)
    for labels, value in data.get(REQUEST_TOTAL, []):
        by_status[labels.get("status", "")] += value
    count = sum(by_status.values())
    errors = sum(v for s, v in by_status.items() if s[:1] in ("4", "5"))
    server_errors = sum(v for s, v in by_status.items() if s[:1] == "5")
    hist = histogram_summary(data, REQUEST_DURATION)
    uptime = max(service_uptime(), 1e-9)
    return {
        "total": int(count), "success": int(count - errors), "errors": int(errors),
        "serverErrors": int(server_errors), "rate": round(count / uptime, 3),
        "errorRate": round(errors / count, 4) if count else 0.0,
        "avgResponseTime": _ms(hist["avg"]), "p50ResponseTime": _ms(hist["p50"]),
        "p95ResponseTime": _ms(hist["p95"]), "p99ResponseTime": _ms(hist["p99"]),
        "byStatus": {k: int(v) for k, v in sorted(by_status.items())},
    }


def cache_summary(data: Samples, status: dict[str, Any]) -> dict[str, Any]:
    name = "techno_etl_cache_operations_total"
    hits, misses = total(data, name, op="get", result="hit"), total(data, name, op="get", result="miss")
    ops = sum(v for _, v in data.get(name, []))
    reads = hits + misses
    return {
        "hits": int(hits), "misses": int(misses), "sets": int(total(data, name, op="set")),
        "deletes": int(total(data, name, op="delete") + total(data, name, op="clear")),
        "errors": int(total(data, name, result="error")), "hitRate": round(hits / reads, 4) if reads else 0.0,
        "totalOperations": int(ops), "cacheType": status["backend"], **status,
        "fallbackSwitches": int(total(data, "techno_etl_cache_backend_switches_total", to="memory")),
        "workersOnFallback": int(total(data, "techno_etl_cache_fallback_active")),
    }


def database_summary(data: Samples) -> dict[str, Any]:
    queries = total(data, "techno_etl_database_queries_total")
    errors = total(data, "techno_etl_database_query_errors_total")
    hist = histogram_summary(data, "techno_etl_database_query_duration_seconds")
    return {"queries": int(queries), "errors": int(errors),
            "errorRate": round(errors / queries, 4) if queries else 0.0,
            "avgResponseTime": _ms(hist["avg"]), "p95ResponseTime": _ms(hist["p95"])}


def worker_summary(data: Samples) -> dict[str, Any]:
    # Multiprocess "all"-mode gauges: the collector labels every sample with its pid.
    requests = {labels["pid"]: int(v) for labels, v in data.get("techno_etl_worker_requests", [])}
    started = {labels["pid"]: v for labels, v in data.get("techno_etl_worker_start_time_seconds", [])}
    now = time.time()
    workers = [{"pid": int(pid), "requests": requests.get(pid, 0),
                "ageSeconds": round(now - started[pid], 1) if pid in started else None}
               for pid in sorted(set(requests) | set(started), key=lambda p: int(p or 0))]
    recycles = {labels.get("reason", ""): int(v) for labels, v in data.get("techno_etl_worker_recycles_total", [])}
    return {"workers": workers, "recycles": recycles}


def service_uptime() -> float:
    """Seconds since the service (the Gunicorn master, or this process) started."""
    return time.time() - lifecycle.service_started_at()


def register_section(app: Flask, name: str, fn: Section) -> None:
    """Let an area add a JSON section (sync, images, breakers...) computed from the merged samples.

    `fn(data) -> dict` receives `samples()`; it runs in the request's app context.
    """
    app.extensions.setdefault("metrics_sections", {})[name] = fn


def sections(app: Flask, data: Samples) -> dict[str, Any]:
    return {name: fn(data) for name, fn in app.extensions.get("metrics_sections", {}).items()}
