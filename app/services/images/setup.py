"""Wiring of the image area into an app: limits from settings, pool options, the health check."""
from __future__ import annotations

from contextlib import AbstractContextManager

from flask import Flask, current_app

from app.services.health import register_check
from app.services.images.health import image_pool_check
from app.services.images.limits import ImageLimits
from config.current import get_settings
from config.sections import ImageSettings
from workers.pool import configure_image_pool


def limits_from(images: ImageSettings) -> ImageLimits:
    """IMAGE_MAX_BYTES from the settings; the pixel, side and output bounds are limits.py's constants."""
    return ImageLimits(max_bytes=images.max_bytes)


def init_app(app: Flask) -> None:
    """Configure the (lazy) pool from settings and register the `image_pool` health check."""
    settings = get_settings(app)
    app.extensions["images"] = {"limits": limits_from(settings.images),
                                "task_timeout": settings.images.task_timeout}
    configure_image_pool(size=settings.images.pool_size or None, task_timeout=settings.images.task_timeout,
                         web_workers=settings.server.web_concurrency or None,
                         queue_size=settings.images.queue_size, threads=settings.server.threads)
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
