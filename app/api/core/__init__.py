"""Core API: the smoke-test endpoint, and the example every area's blueprint follows."""
from app.api.core.routes import blp

__all__ = ["blp"]
