"""Image API: POST /api/images/process and /api/images/batch (the pool is wired by app/factory.py)."""
from app.api.images.routes import blp

__all__ = ["blp"]
