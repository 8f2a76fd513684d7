"""API documentation: the generated OpenAPI document and a Swagger UI page served from local assets."""
from app.api.docs.routes import blp

__all__ = ["blp"]
