"""The live operations page (/ops): a static shell whose script polls the viewer JSON endpoints."""
from app.ops.routes import blp

__all__ = ["blp"]
