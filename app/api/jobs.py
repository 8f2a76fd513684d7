"""The one reply for endpoints that start a background job: 202 + status URL, or the result if it ended.

Not a blueprint: the sync and image endpoints share it. The status URL is GET /api/sync/jobs/{id}
(jobs are generic; that endpoint serves every kind).
"""
from __future__ import annotations

from typing import Any

from flask import url_for

from app.security import current_principal
from app.services.jobs import get_jobs
from app.services.jobs.store import FINAL


def requested_by() -> str | None:
    """Who asked: recorded on the job (the token's subject, never a body field)."""
    principal = current_principal()
    return principal.subject if principal else None


def job_reply(job_id: int, wait: float) -> tuple[dict[str, Any], int]:
    """Wait up to `wait` seconds for the job; 200 with its result when it ended, else 202 with the status URL."""
    if wait > 0:
        get_jobs().runner().wait_local(job_id, wait)
    record = get_jobs().get_job(job_id)
    assert record is not None
    body: dict[str, Any] = {"success": record.status in ("succeeded", "partial", "pending", "running", "waiting"),
                            "jobId": job_id, "status": record.status,
                            "statusUrl": url_for("sync.job", job_id=job_id),
                            "message": record.message or f"job {job_id} {record.status}"}
    if record.status in FINAL:
        body.update(record.result or {})
        body["success"] = record.status != "failed"
        return body, 200
    return body, 202
