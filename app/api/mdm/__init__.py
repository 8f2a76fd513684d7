"""MDM API: prices, the inventory grid, the store mapping, the stock MERGE. Registering it wires the MDM area."""
from app.api.mdm.routes import blp
from app.services.mdm.setup import init_app

blp.record_once(lambda state: init_app(state.app))

__all__ = ["blp"]
