"""Auth API: /api/auth/login (Magento admin credentials in, a bearer token out)."""
from app.api.auth.routes import login_blp

__all__ = ["login_blp"]
