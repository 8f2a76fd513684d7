"""Per-request Prometheus metrics: the exporter's series (same names and labels), recorded by one lean hook.

prometheus-flask-exporter's own after_request costs ~10 % of a small request's CPU (docs/benchmarks.md):
per request it matches every excluded-path regex, marks the request twice with setattr, builds two label
dicts and resolves both labelled children through `labels()`. Here the exporter keeps its info metric and
the names, and one after_request hook does the rest: a prefix test for the unmetered paths, the request's
start time from app/middleware.py (so the histogram times the whole request, hooks included), and the
labelled children cached per (method, route, status).
"""
from __future__ import annotations

from time import perf_counter
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry
from prometheus_flask_exporter import PrometheusMetrics

from app.telemetry import counter, histogram

# Few buckets (an observation costs one bucket increment, but every bucket is a series per route and
# status in every scrape); 1 s stays a bound for the latency alert (deploy/prometheus/alerts.yml).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUEST_DURATION = histogram("http_request_duration_seconds", "Flask HTTP request duration in seconds",
                             ("method", "url_rule", "status"), buckets=BUCKETS)
REQUEST_TOTAL = counter("http_request_total", "Total number of HTTP requests", ("method", "status"))
REQUEST_EXCEPTIONS = counter("http_request_exceptions_total",
                             "Total number of HTTP requests which resulted in an exception", ("method", "status"))
# Methods are whatever a client sends, so the cache of labelled children is bounded; past it, labels() as usual.
_CACHE_LIMIT = 512


def init_app(app: Flask, unmetered_prefixes: tuple[str, ...]) -> PrometheusMetrics:
    """Register the hooks; the exporter keeps only its info metric (no default hooks, no endpoint of its own)."""
    exporter = PrometheusMetrics(None, path=None, registry=CollectorRegistry(), export_defaults=False)
    exporter.init_app(app)
    exporter.info("techno_etl_exporter_info", "Information about the Prometheus Flask exporter",
                  version=exporter.version)
    children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def record(response: Response) -> Response:
        req = request._get_current_object()  # type: ignore[attr-defined]
        if req.path.startswith(unmetered_prefixes):
            return response
        status = response.status_code
        key = (req.method, str(req.url_rule), status)
        pair = children.get(key)
        if pair is None:
            pair = (REQUEST_DURATION.labels(key[0], key[1], str(status)), REQUEST_TOTAL.labels(key[0], str(status)))
            if len(children) < _CACHE_LIMIT:
                children[key] = pair
        start = getattr(g._get_current_object(), "start", None)  # type: ignore[attr-defined]
        if start is not None:
            pair[0].observe(max(perf_counter() - start, 0.0))
        pair[1].inc()
        return response

    def record_exception(exception: BaseException | None = None) -> None:
        # Flask has already run the after_request hooks for the 500 answer, so the request itself is counted.
        if exception is not None and not request.path.startswith(unmetered_prefixes):
            REQUEST_EXCEPTIONS.labels(request.method, "500").inc()

    app.after_request(record)
    app.teardown_request(record_exception)
    return exporter

