"""Product-image processing: pure, I/O-free operations on bytes (Pillow), with hostile-input limits.

The heavy work runs in the per-worker process pool (`workers.pool`); everything here is also callable
inline. Errors are the project's typed errors (app.errors), picklable across the pool boundary.
"""
from app.services.images.decode import SourceInfo
from app.services.images.encode import Output
from app.services.images.limits import (
                                            DEFAULT_LIMITS,
                                            ImageLimits,
                                            output_formats,
                                            sniff_format,
)
from app.services.images.operations import (
                                            DEFAULT_VARIANT_SIZES,
                                            ImageResult,
                                            Target,
                                            convert,
                                            optimize,
                                            plan,
                                            process,
                                            render,
                                            resize,
                                            thumbnail,
                                            variants,
)
from app.services.images.watermark import Watermark

__all__ = [
    "DEFAULT_LIMITS", "DEFAULT_VARIANT_SIZES", "ImageLimits", "ImageResult", "Output", "SourceInfo",
    "Target", "Watermark", "convert", "optimize", "output_formats", "plan", "process", "render",
    "resize", "sniff_format", "thumbnail", "variants",
]
