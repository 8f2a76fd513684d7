"""The image service: this app's image limits, pool options and batch storage, built once from settings.

`init_app` builds one `ImageService`, keeps it in `app.extensions["images"]` and registers the
`image_pool` health check and the batch job kind; everything in the images area reaches it through
`get_images()`. The pure operations it runs live in app.imaging; the pool that runs them in workers.pool.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from app.imaging.limits import ImageLimits
from app.imaging.operations import ImageResult
from app.imaging.watermark import Watermark
from app.services import jobs
from app.services.health import HealthRegistry
from app.services.images import batch_job
from app.services.images.health import image_pool_check
from config import Settings
from config.sections import ImageSettings
from workers.pool import ImagePool, configure_image_pool, get_image_pool

EXTENSION_KEY = "images"


@dataclass(frozen=True)
class ImageService:
    """Limits and timeouts of image work, and where batches are stored (with their quotas)."""

    limits: ImageLimits
    task_timeout: float
    output_dir: str
    batch_max_bytes: int  # 0 = no quota
    output_max_bytes: int  # 0 = no quota
    batch_retention_days: int  # 0 = keep batches

    @classmethod
    def from_settings(cls, settings: Settings) -> ImageService:
        return cls(limits=limits_from(settings.images), task_timeout=settings.images.task_timeout,
                   output_dir=settings.images.output_dir, batch_max_bytes=settings.images.batch_max_bytes,
                   output_max_bytes=settings.images.output_max_bytes,
                   batch_retention_days=settings.images.batch_retention_days)

    @property
    def pool(self) -> ImagePool:
        """This worker's image pool (started on first use, never in the Gunicorn master)."""
        return get_image_pool()

    def admission(self) -> AbstractContextManager[None]:
        """Hold one of this worker's image-request places (raises ImageQueueFull, 503, when there is none)."""
        return self.pool.admission()

    def process(self, data: bytes, operations: Iterable[Mapping[str, Any]],
                watermark: Watermark | None = None) -> ImageResult:
        """Run operations on one uploaded image in this worker's pool, with the configured limits and timeout.

        Raises the image errors (400/413/415) for bad input, ImageTaskTimeout (504) when it takes too long.
        """
        return self.pool.process(data, operations, watermark=watermark, limits=self.limits,
                                 timeout=self.task_timeout)

    def submit_batch(self, files: list[tuple[str, bytes]], *, sizes: list[int], format: str, quality: int,
                     requested_by: str | None) -> int:
        """Check the disk quotas, stage the uploads and enqueue an `images.batch` job; returns its id.

        Raises BatchTooLarge (413) or StorageFull (507) before anything is written.
        """
        return batch_job.submit_batch(self.output_dir, files, sizes=sizes, format=format, quality=quality,
                                      requested_by=requested_by, batch_max_bytes=self.batch_max_bytes,
                                      output_max_bytes=self.output_max_bytes,
                                      retention_days=self.batch_retention_days)

    def run_batch(self, ctx: jobs.JobContext) -> jobs.JobOutcome:
        """The `images.batch` job handler (see app.services.images.batch_job.run_batch)."""
        return batch_job.run_batch(ctx, self.output_dir, limits=self.limits, batch_max_bytes=self.batch_max_bytes)


def limits_from(images: ImageSettings) -> ImageLimits:
    """IMAGE_MAX_BYTES from the settings; the pixel, side and output bounds are app/imaging/limits.py's constants."""
    return ImageLimits(max_bytes=images.max_bytes)


def init_app(app: Flask, settings: Settings, queue: jobs.JobQueue, health: HealthRegistry) -> ImageService:
    """Build the image service, configure the (lazy) pool, register the `image_pool` check and the job kind."""
    service = ImageService.from_settings(settings)
    app.extensions[EXTENSION_KEY] = service
    configure_image_pool(size=settings.images.pool_size or None, task_timeout=settings.images.task_timeout,
                         web_workers=settings.server.web_concurrency or None,
                         queue_size=settings.images.queue_size, threads=settings.server.threads)
    health.register("image_pool", image_pool_check, critical=False, component_type="component",
                    measurement="utilization")
    queue.register_kind(batch_job.KIND, service.run_batch)
    return service


def get_images(app: Flask | None = None) -> ImageService:
    """The image service of `app`, else of the current app."""
    service: ImageService = (app or current_app).extensions[EXTENSION_KEY]
    return service
