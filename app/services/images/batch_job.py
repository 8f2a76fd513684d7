"""Image batches as background jobs (kind `images.batch`): many uploads in, variants written to disk.

The endpoint stores the uploads under IMAGE_OUTPUT_DIR/batch-<token>/input/ before it enqueues the job,
so the job's parameters are only that directory's name and the options: a job resumed by another worker
(after a recycle or a crash) finds its inputs on disk, and skips the files whose outputs already exist.
"""
from __future__ import annotations

import re
import secrets
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import Flask

from app.services import jobs
from app.services.images.batch import process_paths
from app.services.images.quota import check_batch_quota, estimate_batch_bytes
from app.services.images.setup import current_limits
from config.current import get_settings

KIND = "images.batch"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_name(name: str | None, fallback: str) -> str:
    """A client-supplied file name reduced to [A-Za-z0-9._-] without directories (no traversal, no zip-slip)."""
    safe = _SAFE.sub("-", Path(name or "").name).strip("-.")
    return safe or fallback


def stage_inputs(output_dir: str, files: Iterable[tuple[str, bytes]]) -> Path:
    """Write the uploads to a new batch directory; returns it. Names are made safe and unique."""
    batch = Path(output_dir) / f"batch-{secrets.token_hex(6)}"
    inputs = batch / "input"
    inputs.mkdir(parents=True)
    used: set[str] = set()
    for index, (name, data) in enumerate(files, 1):
        safe = safe_file_name(name, f"image-{index}")
        while safe in used:
            safe = f"{index}-{safe}"
        used.add(safe)
        (inputs / safe).write_bytes(data)
    return batch


def run_batch(ctx: jobs.JobContext) -> jobs.JobOutcome:
    """Process every staged input not yet done; record per-file outputs or errors."""
    params = ctx.params
    batch = Path(get_settings().images.output_dir) / params["batch"]
    inputs = sorted((batch / "input").iterdir())
    out = batch / "output"
    ctx.set_total("images", len(inputs))
    results: list[dict[str, Any]] = []

    def progress(done: int, total: int, result: Any) -> None:
        ctx.advance("images")
        if result.error:
            ctx.error(file=Path(result.path).name, code=result.error, message=result.message)
        ctx.checkpoint()  # stop here if the lease was lost or the worker is stopping

    staged = sum(path.stat().st_size for path in inputs)
    batch_max = get_settings().images.batch_max_bytes
    budget = max(0, batch_max - staged) if batch_max else None  # 0 = no quota
    for result in process_paths(inputs, out, params["sizes"], progress, quality=params["quality"],
                                format=params["format"], limits=current_limits(), max_output_bytes=budget):
        results.append({"file": Path(result.path).name, "outputs": [Path(p).name for p in result.outputs],
                        "error": result.error, "message": result.message})
    failed = sum(1 for r in results if r["error"])
    ctx.count(accepted=len(results) - failed, rejected=failed)
    status = "succeeded" if not failed else ("partial" if failed < len(results) else "failed")
    message = f"{len(results) - failed} of {len(results)} images processed"
    # Names relative to IMAGE_OUTPUT_DIR: the job record is readable by viewers, server paths are not theirs.
    return jobs.JobOutcome(status, {"batch": batch.name, "outputDirectory": f"{batch.name}/output",
                                    "files": results, "message": message}, message)


def prune_batches(output_dir: str, retention_days: int) -> int:
    """Delete batch directories older than the retention (0 keeps them); returns how many went."""
    if retention_days <= 0 or not Path(output_dir).is_dir():
        return 0
    cutoff = time.time() - retention_days * 86400
    removed = 0
    for batch in Path(output_dir).glob("batch-*"):
        if batch.is_dir() and batch.stat().st_mtime < cutoff:
            shutil.rmtree(batch, ignore_errors=True)
            removed += 1
    return removed


def submit_batch(files: list[tuple[str, bytes]], *, sizes: list[int], format: str, quality: int,
                 requested_by: str | None) -> int:
    """Check the disk quotas, stage the uploads and enqueue the job (pruning expired batches first); returns its id.

    Raises BatchTooLarge (413) or StorageFull (507) before anything is written.
    """
    settings = get_settings()
    prune_batches(settings.images.output_dir, settings.images.batch_retention_days)
    estimate = estimate_batch_bytes([len(data) for _name, data in files], sizes, format)
    check_batch_quota(settings.images.output_dir, estimate, settings.images.batch_max_bytes,
                      settings.images.output_max_bytes)
    batch = stage_inputs(settings.images.output_dir, files)
    return jobs.submit(KIND, {"batch": batch.name, "sizes": sizes, "format": format, "quality": quality,
                              "count": len(files)}, requested_by=requested_by)


def init_app(app: Flask) -> None:
    jobs.register_kind(app, KIND, run_batch)
