"""/api/dashboard blueprint."""
from app.api.dashboard.routes import blp

__all__ = ["blp"]
