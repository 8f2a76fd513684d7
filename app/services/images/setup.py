"""Wiring of the image area into an app: limits from settings, pool options, the health check."""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from app.services.images.health import image_pool_check
from app.services.images.limits import ImageLimits
from app.services.images.operations import ImageResult
from app.services.images.watermark import Watermark
from workers.pool import configure_image_pool

if TYPE_CHECKING:
    from app.services.health import HealthRegistry
    from app.services.jobs import JobQueue
    from config import Settings


def limits_from(settings: Settings) -> ImageLimits:
    return ImageLimits(max_bytes=settings.image_max_bytes, max_pixels=settings.image_max_pixels,
                       max_side=settings.image_max_side, max_output_pixels=settings.image_max_output_pixels,
                       max_output_bytes=settings.image_max_output_bytes)


def init_app(app: Flask, settings: Settings, queue: JobQueue, health: HealthRegistry) -> None:
    """Configure the (lazy) pool from settings, register the `image_pool` health check and the batch job kind."""
    app.extensions["images"] = {"limits": limits_from(settings),
                                "task_timeout": settings.image_task_timeout}
    configure_image_pool(size=settings.image_pool_size or None, task_timeout=settings.image_task_timeout,
                         maxtasksperchild=settings.image_maxtasksperchild,
                         memory_limit_bytes=settings.image_child_memory,
                         web_workers=settings.web_concurrency or None,
                         queue_size=settings.image_queue_size, threads=settings.gunicorn_threads)
    health.register("image_pool", image_pool_check, critical=False, component_type="component",
                    measurement="utilization")
    from app.services.images import batch_job

    batch_job.init_app(queue)


def current_limits() -> ImageLimits:
    limits: ImageLimits = current_app.extensions["images"]["limits"]
    return limits


def image_request_admission() -> AbstractContextManager[None]:
    """Hold one of this worker's image-request places (raises ImageQueueFull, 503, when there is none)."""
    from workers.pool import get_image_pool

    return get_image_pool().admission()


def process_upload(data: bytes, operations: list[dict[str, Any]], watermark: Watermark | None = None) -> ImageResult:
    """Run operations on one uploaded image in this worker's pool, with the configured limits and timeout.

    Raises the image errors (400/413/415) for bad input, ImageTaskTimeout (504) when it takes too long.
    """
    from workers.pool import get_image_pool

    return get_image_pool().process(data, operations, watermark=watermark, limits=current_limits(),
                                    timeout=current_app.extensions["images"]["task_timeout"])
