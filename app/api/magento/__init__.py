"""/api/magento: charts, product routes, the proxy."""
from app.api.magento.routes import blp

__all__ = ["blp"]
