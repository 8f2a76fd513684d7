"""Sync metrics (Prometheus, multiprocess) and the /api/metrics "sync" section built from them."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from app.telemetry import counter, histogram

ITEMS = counter("sync_items_total", "Items sent to Magento by sync jobs, by kind and result "
                "(pushed, accepted, rejected).", ("kind", "result"))
BATCH_SECONDS = histogram("sync_batch_duration_seconds", "Latency of one Magento batch call of a sync job.",
                          ("kind",))

JOBS_TOTAL = "techno_etl_jobs_total"
JOB_SECONDS = "techno_etl_job_duration_seconds"
LAST_SUCCESS = "techno_etl_job_last_success_timestamp_seconds"
ITEMS_TOTAL = "techno_etl_sync_items_total"


def sync_section(data: dict[str, list[tuple[dict[str, str], float]]], schedule: list[dict[str, Any]]) -> dict[str, Any]:
    """The /api/metrics/sync fields from merged samples plus the schedule table."""
    from app.services.metrics_summary import histogram_summary

    jobs: dict[str, dict[str, int]] = defaultdict(dict)
    for labels, value in data.get(JOBS_TOTAL, []):
        kind, outcome = labels.get("kind", ""), labels.get("outcome", "")
        jobs[kind][outcome] = jobs[kind].get(outcome, 0) + int(value)
    items: dict[str, dict[str, int]] = defaultdict(dict)
    for labels, value in data.get(ITEMS_TOTAL, []):
        kind, result = labels.get("kind", ""), labels.get("result", "")
        items[kind][result] = items[kind].get(result, 0) + int(value)
    last: dict[str, float] = {}
    for labels, value in data.get(LAST_SUCCESS, []):
        kind = labels.get("kind", "")
        if value > last.get(kind, 0):
            last[kind] = value
    success = sum(v for per in jobs.values() for o, v in per.items() if o == "succeeded")
    failures = sum(v for per in jobs.values() for o, v in per.items() if o in ("failed", "partial"))
    finished = success + failures
    duration = histogram_summary(data, JOB_SECONDS)
    from datetime import UTC, datetime

    return {
        "jobs": dict(jobs), "items": dict(items),
        "lastSuccess": {k: datetime.fromtimestamp(v, UTC).isoformat(timespec="seconds") for k, v in last.items()},
        "schedule": schedule, "success": int(success), "failures": int(failures),
        "successRate": round(success / finished, 4) if finished else 0.0,
        "avgDuration": round(duration["avg"], 3) if duration["avg"] is not None else None,
        "durationP95": round(duration["p95"], 3) if duration["p95"] is not None else None,
        "batchLatency": histogram_summary(data, "techno_etl_sync_batch_duration_seconds"),
    }
