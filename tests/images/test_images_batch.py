"""POST /api/images/batch: a background job that writes variants to disk and lists them."""
from __future__ import annotations

import base64
import io
import time

from PIL import Image


def _b64(size=(800, 600), fmt="JPEG") -> str:
    buf = io.BytesIO()
    Image.new("RGB", size, (30, 160, 90)).save(buf, fmt)
    return base64.b64encode(buf.getvalue()).decode()


def _wait(client, headers, job_id, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/sync/jobs/{job_id}", headers=headers).get_json()["data"]
        if job["status"] in ("succeeded", "partial", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def test_batch_job_writes_variants_and_reports_bad_files(make_app, auth, tmp_path):
    app = make_app(IMAGE_OUTPUT_DIR=str(tmp_path))
    client = app.test_client()
    body = {"images": [{"name": "front.jpg", "data": _b64()}, {"name": "../../etc/x.png", "data": _b64(fmt="PNG")},
                       {"name": "notes.txt", "data": base64.b64encode(b"not an image").decode()}],
            "sizes": [300, 100]}
    resp = client.post("/api/images/batch", json=body, headers=auth("operator"))
    assert resp.status_code == 202, resp.get_json()
    accepted = resp.get_json()
    assert accepted["statusUrl"].endswith(f"/api/sync/jobs/{accepted['jobId']}")
    job = _wait(client, auth("viewer"), accepted["jobId"])
    assert job["status"] == "partial" and job["kind"] == "images.batch"
    files = {f["file"]: f for f in job["result"]["files"]}
    assert files["front.jpg"]["outputs"] == ["front_300x300.jpg", "front_100x100.jpg"]
    assert files["notes.txt"]["error"] == "unsupported_media_type"
    out = tmp_path / job["result"]["outputDirectory"]
    assert out.parent.parent == tmp_path and out.is_dir()  # the ../ name cannot escape the batch directory
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*files["front.jpg"]["outputs"], *files["x.png"]["outputs"]])


def test_batch_validation_and_roles(client, auth):
    assert client.post("/api/images/batch", json={"images": []}, headers=auth("operator")).status_code == 400
    assert client.post("/api/images/batch", json={"images": [{"data": "%%%"}]},
                       headers=auth("operator")).status_code == 400
    assert client.post("/api/images/batch", json={"images": [{"data": _b64()}]},
                       headers=auth("viewer")).status_code == 403


def test_batch_accepts_multipart_files(make_app, auth, tmp_path):
    app = make_app(IMAGE_OUTPUT_DIR=str(tmp_path))
    client = app.test_client()
    data = {"files": [(io.BytesIO(base64.b64decode(_b64())), "a.jpg"), (io.BytesIO(base64.b64decode(_b64())), "b.jpg")],
            "sizes": "200"}
    resp = client.post("/api/images/batch", data=data, content_type="multipart/form-data", headers=auth("operator"))
    assert resp.status_code == 202, resp.get_json()
    job = _wait(client, auth("viewer"), resp.get_json()["jobId"])
    assert job["status"] == "succeeded" and len(job["result"]["files"]) == 2


def test_expired_batch_directories_are_pruned(tmp_path):
    import os

    from app.services.images.batch_job import prune_batches

    old, new = tmp_path / "batch-old", tmp_path / "batch-new"
    old.mkdir()
    new.mkdir()
    past = time.time() - 8 * 86400
    os.utime(old, (past, past))
    assert prune_batches(str(tmp_path), 7) == 1
    assert not old.exists() and new.exists()
    assert prune_batches(str(tmp_path), 0) == 0
