"""/api/magento (charts, product routes, proxy) and the login routes."""
from app.api.magento.login_routes import login_blp
from app.api.magento.routes import blp

__all__ = ["blp", "login_blp"]
