"""Health probes: liveness, readiness and the detailed report (application/health+json)."""
from app.health.routes import blp

__all__ = ["blp"]
