"""Sync API: price and stock pushes as background jobs, and the job status endpoints."""
from app.api.mdm.sync.routes import blp

__all__ = ["blp"]
