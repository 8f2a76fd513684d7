"""Pure image operations on bytes (Pillow), with hostile-input limits: the leaf of the image area.

No Flask, no app context, no I/O beyond the bytes given. The pool's processes (workers.tasks) run
these, and the image service (app.services.images) uses them too; both import this package, never
the reverse (import-linter contract). Errors are the project's typed errors (app.errors), picklable
across the pool boundary. Keep it light to import: the pool's forkserver preloads it.
"""
from app.imaging.decode import SourceInfo
from app.imaging.encode import Output
from app.imaging.limits import (
                                            DEFAULT_LIMITS,
                                            ImageLimits,
                                            output_formats,
                                            sniff_format,
)
from app.imaging.operations import (
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
from app.imaging.watermark import Watermark

__all__ = [
    "DEFAULT_LIMITS", "DEFAULT_VARIANT_SIZES", "ImageLimits", "ImageResult", "Output", "SourceInfo",
    "Target", "Watermark", "convert", "optimize", "output_formats", "plan", "process", "render",
    "resize", "sniff_format", "thumbnail", "variants",
]
