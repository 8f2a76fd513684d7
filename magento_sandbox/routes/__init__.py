"""Route tables: build_routers() registers every area on a sync and an async/bulk Router."""
from __future__ import annotations

from ..router import Router
from . import (
    auth,
    bulk_status,
    catalog,
    cms_store,
    inventory,
    media,
    prices,
    products,
    sales,
)


def build_routers() -> tuple[Router, Router]:
    """(sync routes under /V1, async routes under /async/bulk/V1)."""
    sync, bulk = Router(), Router()
    for area in (auth, products, prices, bulk_status, inventory, sales, catalog, cms_store, media):
        area.register(sync, bulk)
    return sync, bulk
