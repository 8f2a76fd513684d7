"""SYNC_RUNNER_CONCURRENCY applies to submitted jobs: extra jobs wait in the queue, then all run."""
from __future__ import annotations

import threading
import time

from app.services import jobs


def test_submitted_jobs_beyond_the_runner_concurrency_queue_and_all_finish(make_app, tmp_path):
    app = make_app(SYNC_RUNNER_CONCURRENCY=2, APP_DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite3'}")
    lock = threading.Lock()
    seen = {"now": 0, "peak": 0}

    def handler(ctx: jobs.JobContext) -> jobs.JobOutcome:
        with lock:
            seen["now"] += 1
            seen["peak"] = max(seen["peak"], seen["now"])
        time.sleep(0.3)
        with lock:
            seen["now"] -= 1
        return jobs.JobOutcome("succeeded", {"n": ctx.params["n"]})

    jobs.get_jobs(app).register_kind("test.sleep", handler)
    with app.app_context():
        ids = [jobs.get_jobs().submit(jobs.JobRequest("test.sleep", {"n": n})) for n in range(6)]
        # Right after submitting: two run here, four wait in the queue (the issue: all six started at once).
        statuses = [jobs.get_jobs().get_job(i).status for i in ids]
        assert statuses.count("pending") >= 4, statuses
        # A request waiting for a queued job (`?wait=`) waits until it has run, not until it is queued.
        assert jobs.get_jobs(app).runner().wait_local(ids[-1], 30)
        assert jobs.get_jobs().get_job(ids[-1]).status == "succeeded"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(jobs.get_jobs().get_job(i).status != "succeeded" for i in ids):
            time.sleep(0.05)
        assert [jobs.get_jobs().get_job(i).status for i in ids] == ["succeeded"] * 6
        assert [jobs.get_jobs().get_job(i).result["n"] for i in ids] == list(range(6))
    assert seen["peak"] == 2
