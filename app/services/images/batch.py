"""Files in, files out: `process_paths` behind `manage.py images process` (runs on the image pool)."""
from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from app.errors import AppError, PayloadTooLarge
from app.imaging.limits import DEFAULT_LIMITS, ImageLimits
from app.imaging.operations import DEFAULT_VARIANT_SIZES
from app.services.images.quota import BatchTooLarge
from workers.pool import ImagePool, get_image_pool

Progress = Callable[[int, int, "PathResult"], None]


@dataclass
class PathResult:
    """What happened to one input file: the files written, or the typed error it got."""

    path: str
    outputs: list[str] = field(default_factory=list)
    error: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _unique_stem(path: Path, used: set[str]) -> str:
    stem, n = path.stem or "image", 2
    candidate = stem
    while candidate in used:  # two inputs named a/x.jpg and b/x.jpg must not overwrite each other
        candidate, n = f"{stem}-{n}", n + 1
    used.add(candidate)
    return candidate


def process_paths(paths: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str],
                  sizes: Sequence[int] = DEFAULT_VARIANT_SIZES, progress: Progress | None = None, *,
                  quality: int = 90, format: str = "JPEG", limits: ImageLimits = DEFAULT_LIMITS,
                  pool: ImagePool | None = None, max_output_bytes: int | None = None) -> list[PathResult]:
    """Write square variants of every file in `paths` to `out_dir` as <stem>_<W>x<H>.<ext>.

    A bad file does not stop the batch: its result carries the error code and message. Once the
    files written reach `max_output_bytes`, the remaining files get `image_batch_too_large`. Results
    come back in input order; `progress(done, total, result)` is called as each file finishes.
    Raises OSError only when `out_dir` cannot be created.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pool = pool or get_image_pool()
    used: set[str] = set()
    jobs = [(Path(p), _unique_stem(Path(p), used)) for p in paths]
    operations = [{"op": "variants", "sizes": list(sizes), "quality": quality, "format": format}]
    done = 0
    written = [0]
    written_lock = threading.Lock()

    def reserve(nbytes: int) -> None:
        with written_lock:
            if max_output_bytes is not None and written[0] + nbytes > max_output_bytes:
                raise BatchTooLarge(f"The batch reached its disk quota ({max_output_bytes} bytes of outputs).")
            written[0] += nbytes

    def one(job: tuple[Path, str]) -> PathResult:
        path, stem = job
        result = PathResult(str(path))
        try:
            if path.stat().st_size > limits.max_bytes:  # do not read a huge file just to refuse it
                raise PayloadTooLarge(f"{path.name} is larger than {limits.max_bytes} bytes.")
            # A batch waits its turn behind image requests however long it takes (it holds no web thread).
            image = pool.process(path.read_bytes(), operations, limits=limits, queue_wait=math.inf)
            reserve(sum(len(output.data) for output in image.outputs))  # all of a file's outputs or none
            for output in image.outputs:
                target = out / f"{stem}_{output.name}.{output.extension}"
                target.write_bytes(output.data)
                result.outputs.append(str(target))
        except AppError as exc:
            result.error, result.message = exc.code, exc.message
        except OSError as exc:
            result.error, result.message = "io_error", f"{exc.strerror or exc}: {path}"
        return result

    results: list[PathResult] = []
    # Threads only wait on the pool; the pool's processes do the work in parallel.
    with ThreadPoolExecutor(max_workers=max(1, pool.size)) as executor:
        for result in executor.map(one, jobs):
            done += 1
            results.append(result)
            if progress is not None:
                progress(done, len(jobs), result)
    return results
