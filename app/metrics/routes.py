"""GET /api/metrics[/prometheus|/performance|/cache|/sync] (viewer). Cumulative: nothing resets them."""
from __future__ import annotations

import datetime as dt

from flask import Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.adapters.cache import get_cache
from app.api.blueprint import ApiBlueprint
from app.extensions import talisman
from app.metrics.schemas import (
    CacheSectionSchema,
    MetricsSchema,
    PerformanceSchema,
    SyncSectionSchema,
    WorkerTableSchema,
)
from app.security import Role, require_role
from app.services import metrics_summary as ms
from app.services.worker_table import live_worker_rows
from app.telemetry import collect_registry, multiproc_dir
from config.current import get_settings

blp = ApiBlueprint("metrics", __name__, url_prefix="/api/metrics", description="Metrics")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@blp.route("/prometheus", methods=["GET"])
@blp.response(200, description="Prometheus text exposition 0.0.4")
@blp.doc(responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
@talisman(force_https=False)
@require_role(Role.VIEWER)
def prometheus():
    """Merged exposition for a Prometheus scrape (bearer token in the scrape config)."""
    return Response(generate_latest(collect_registry()), mimetype=CONTENT_TYPE_LATEST)


@blp.route("", methods=["GET"])
@blp.response(200, MetricsSchema)
@talisman(force_https=False)
@require_role(Role.VIEWER)
def overview():
    """The original's JSON metrics (requests, cache, database, sync), merged across workers."""
    data = ms.samples()
    extra = ms.sections(current_app, data)
    return {"uptime": round(ms.service_uptime(), 1), "timestamp": _now(),
            "requests": ms.request_summary(data), "cache": ms.cache_summary(data, get_cache().status()),
            "database": ms.database_summary(data), "workers": ms.worker_summary(data),
            "sync": extra.pop("sync", {}), **extra}


@blp.route("/performance", methods=["GET"])
@blp.response(200, PerformanceSchema)
@talisman(force_https=False)
@require_role(Role.VIEWER)
def performance():
    """Request latency percentiles, rates and the worker table."""
    data = ms.samples()
    return {"timestamp": _now(), "requests": ms.request_summary(data), "database": ms.database_summary(data),
            **ms.worker_summary(data)}


@blp.route("/cache", methods=["GET"])
@blp.response(200, CacheSectionSchema)
@talisman(force_https=False)
@require_role(Role.VIEWER)
def cache():
    """Cache hit/miss/set/delete/error counters and the backend in use."""
    return {"timestamp": _now(), **ms.cache_summary(ms.samples(), get_cache().status())}


@blp.route("/sync", methods=["GET"])
@blp.response(200, SyncSectionSchema)
@talisman(force_https=False)
@require_role(Role.VIEWER)
def sync():
    """Sync jobs by kind and outcome, items pushed, last success and the schedule's next runs."""
    section = ms.sections(current_app, ms.samples()).get("sync", {})
    # Every key present: marshmallow reads a missing "items" key as the dict's own .items method.
    return {"timestamp": _now(), "jobs": {}, "items": {}, "lastSuccess": {}, "schedule": [], **section}


@blp.route("/workers", methods=["GET"])
@blp.response(200, WorkerTableSchema)
@talisman(force_https=False)
@require_role(Role.VIEWER)
def workers():
    """The live worker table (like `pm2 monit`): pid, age, requests, CPU %, memory of worker + pool."""
    settings = get_settings()
    master, rows = live_worker_rows(settings.server.run_dir, multiproc_dir())
    return {"timestamp": _now(), "masterPid": master, "underGunicorn": master is not None,
            "memoryLimitMb": round(settings.server.max_worker_memory / 1024 ** 2, 1),
            "workers": [{**row, "ageSeconds": round(row["ageSeconds"], 1), "cpuPercent": round(row["cpuPercent"], 1),
                         "memoryMb": round(row["memoryMb"], 1)} for row in rows],
            "recycles": ms.worker_summary(ms.samples())["recycles"]}
