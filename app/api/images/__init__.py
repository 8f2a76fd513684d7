"""Image API: POST /api/images/process. Registering the blueprint also wires the pool and its health check."""
from app.api.images.routes import blp
from app.services.images.setup import init_app

blp.record_once(lambda state: init_app(state.app))

__all__ = ["blp"]
