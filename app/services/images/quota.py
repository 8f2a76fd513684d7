"""Disk quotas of image batches: an estimate from the requested output sizes, checked before anything is written.

Per batch (IMAGE_BATCH_MAX_BYTES: the staged inputs plus the estimated outputs) and for the whole
IMAGE_OUTPUT_DIR (IMAGE_OUTPUT_MAX_BYTES: what is there now plus the batch's estimate). The estimate
is an upper bound for photographs, not a promise: the batch also stops writing once its real outputs
reach its quota (see batch.process_paths).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from app.errors import PayloadTooLarge
from app.imaging.limits import StorageFull

# Encoded bytes per output pixel, on the high side for product photos (square outputs are mostly
# white canvas, far below this); PNG is lossless, so noise-like photos can take ~3 bytes per pixel.
BYTES_PER_PIXEL = {"JPEG": 1.0, "WEBP": 0.8, "AVIF": 0.6, "PNG": 3.0}


class BatchTooLarge(PayloadTooLarge):
    """One batch would take more disk than IMAGE_BATCH_MAX_BYTES."""

    code = "image_batch_too_large"


def estimate_batch_bytes(input_sizes: Sequence[int], sizes: Sequence[int], format: str) -> int:
    """Inputs as staged plus, per input, every distinct square output size at the format's bytes per pixel."""
    per_image = sum(side * side for side in set(sizes)) * BYTES_PER_PIXEL.get(format.upper(), 3.0)
    return sum(input_sizes) + int(per_image * len(input_sizes))


def directory_bytes(path: str | os.PathLike[str]) -> int:
    """Bytes of the regular files under `path` (0 when it does not exist)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:  # removed meanwhile (a prune, another batch)
                pass
    return total


def check_batch_quota(output_dir: str, estimate: int, batch_max: int, total_max: int) -> None:
    """Raise BatchTooLarge (413) or StorageFull (507) before a batch of `estimate` bytes is staged."""
    if batch_max and estimate > batch_max:
        raise BatchTooLarge(
            f"This batch would take about {estimate} bytes on disk; at most {batch_max} per batch "
            "(send fewer images or sizes).",
            details={"estimatedBytes": estimate, "maxBatchBytes": batch_max})
    if total_max:
        used = directory_bytes(output_dir)
        if used + estimate > total_max:
            raise StorageFull(
                f"The image output directory holds {used} bytes; this batch (about {estimate} bytes) would "
                f"pass its {total_max}-byte quota. Retry after old batches expire.",
                details={"usedBytes": used, "estimatedBytes": estimate, "maxBytes": total_max})
