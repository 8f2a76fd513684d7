"""Endpoints that exist only when APP_ENV=testing (registered by the factory in that case alone)."""
from app.api.testing.routes import blp

__all__ = ["blp"]
