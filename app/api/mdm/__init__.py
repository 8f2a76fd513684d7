"""MDM API: prices, the inventory grid, the store mapping, the stock MERGE."""
from app.api.mdm.routes import blp

__all__ = ["blp"]
