"""Metrics endpoints: Prometheus exposition and JSON views, merged across Gunicorn workers."""
from app.metrics.routes import blp

__all__ = ["blp"]
