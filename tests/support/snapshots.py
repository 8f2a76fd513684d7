"""Build the dashboard snapshots of an app on the calling thread (charts answer 503 until one exists)."""
from __future__ import annotations

from typing import Any

from flask import Flask


def build_snapshots(app: Flask, **params: Any):
    """Run one snapshot job inline; returns its final JobRecord."""
    from app.services import jobs

    with app.app_context():
        job_id = jobs.get_jobs().submit(jobs.JobRequest("snapshots", params), start=False)
        return jobs.get_jobs(app).runner().run_inline(job_id)
