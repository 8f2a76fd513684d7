"""GET /V1/bulk/{uuid}/status and /detailed-status (Magento_AsynchronousOperations)."""
from __future__ import annotations

from ..bulk import detailed_status, short_status
from ..errors import MagentoError
from ..router import Router
from ..sandbox import Ctx

RESOURCE = "Magento_Logging::system_magento_logging_bulk_operations"


def _bulk(ctx: Ctx, uuid: str) -> dict:
    bulk = ctx.state.bulks.get(uuid)
    if bulk is None:
        raise MagentoError(404, "Bulk uuid %bulkUuid not exist", {"bulkUuid": uuid})
    return bulk


def get_status(ctx: Ctx, bulkUuid: str) -> dict:
    with ctx.state.lock:
        return short_status(_bulk(ctx, bulkUuid))


def get_detailed_status(ctx: Ctx, bulkUuid: str) -> dict:
    with ctx.state.lock:
        return detailed_status(_bulk(ctx, bulkUuid))


def register(sync: Router, bulk: Router) -> None:
    sync.add("GET", "V1/bulk/:bulkUuid/status", RESOURCE)(get_status)
    sync.add("GET", "V1/bulk/:bulkUuid/detailed-status", RESOURCE)(get_detailed_status)
