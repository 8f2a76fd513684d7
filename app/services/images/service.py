"""Wiring of the image area into an app: limits from settings, pool options, the health check."""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from flask import Flask, current_app

from app.services.health import register_check
from app.services.images.health import image_pool_check
from app.services.images.limits import ImageLimits
from workers.pool import configure_image_pool


def limits_from(settings: Any) -> ImageLimits:
    return ImageLimits(max_bytes=settings.image_max_bytes, max_pixels=settings.image_max_pixels,
                       max_side=settings.image_max_side, max_output_pixels=settings.image_max_output_pixels,
                       max_output_bytes=settings.image_max_output_bytes)


def init_app(app: Flask) -> None:
    """Configure the (lazy) pool from settings and register the `image_pool` health check."""
    settings = app.config["SETTINGS"]
    app.extensions["images"] = {"limits": limits_from(settings),
                                "task_timeout": settings.image_task_timeout}
    configure_image_pool(size=settings.image_pool_size or None, task_timeout=settings.image_task_timeout,
                         maxtasksperchild=settings.image_maxtasksperchild,
                         memory_limit_bytes=settings.image_child_memory,
                         web_workers=settings.web_concurrency or None,
                         queue_size=settings.image_queue_size, threads=settings.gunicorn_threads)
    register_check(app, "image_pool", image_pool_check, critical=False, component_type="component",
                   measurement="utilization")
    from app.services.images import batch_job

    batch_job.init_app(app)


def current_limits() -> ImageLimits:
    return current_app.extensions["images"]["limits"]


def image_request_admission() -> AbstractContextManager[None]:
    """Hold one of this worker's image-request places (raises ImageQueueFull, 503, when there is none)."""
    from workers.pool import get_image_pool

    return get_image_pool().admission()


def process_upload(data: bytes, operations: list[dict], watermark=None):
    """Run operations on one uploaded image in this worker's pool, with the configured limits and timeout.

    Raises the image errors (400/413/415) for bad input, ImageTaskTimeout (504) when it takes too long.
    """
    from workers.pool import get_image_pool

    return get_image_pool().process(data, operations, watermark=watermark, limits=current_limits(),
                                    timeout=current_app.extensions["images"]["task_timeout"])
