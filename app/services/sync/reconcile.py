"""POST /api/mdm/sync/success, made safe: acknowledge only changed rows Magento *already has*.

The original reset every changed flag blindly. Now the push acknowledges exactly what Magento accepted,
so this step only matters for rows that reached Magento some other way (a push whose acknowledgement was
lost, a manual fix in the admin). It reads the changed rows, asks Magento for those source items and
clears the rows whose quantity and status in Magento equal what the push would send -- never blind.
"""
from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from app.adapters.appdb import get_app_engine
from app.adapters.magento import get_magento_client
from app.services.jobs import JobContext, JobOutcome
from app.services.jobs import store as job_store
from app.services.mdm.repository import get_mdm
from app.services.mdm.stock import acknowledge, changed_rows
from app.services.sync.planning import source_item
from app.services.sync.upstream import Patience, patiently
from config.current import get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from app.adapters.magento import MagentoClient
    from app.services.mdm.sources import StoreSource

LOOKUP_CHUNK = 100  # SKUs per searchCriteria "in" filter (page size stays under the strict 300)


def run_acknowledge_job(ctx: JobContext) -> JobOutcome:
    """Job kind `stocks.acknowledge`; its params are built by app/services/jobs/kinds.py stock_acknowledge."""
    settings = get_settings()
    patience = Patience.from_settings(settings.sync)
    mdm_repo, client = get_mdm(), get_magento_client()
    mdm = mdm_repo.engine
    wanted = {str(c) for c in ctx.params.get("sources") or []}
    stores = [s for s in mdm_repo.sources if s.magentoSource and (not wanted or s.code_source in wanted)]
    confirmed = pending = 0
    appdb = get_app_engine()
    for store in stores:
        # The same per-source lock as the push: a push in flight for this source could otherwise land an
        # older quantity after this job acknowledged the row at the newer one (a lost update).
        lock = f"stock-source:{store.code_source}"
        while not job_store.acquire_lock(appdb, lock, ctx.job_id, ctx.owner, settings.sync.lease_seconds):
            ctx.mark(store.code_source, status="waiting-lock")
            ctx.sleep(1.0)
        try:
            done, unconfirmed = _confirm_source(ctx, mdm, client, store, patience)
        finally:
            job_store.release_lock(appdb, lock, ctx.job_id, ctx.owner)
        confirmed += done
        pending += unconfirmed
    mdm_repo.invalidate_cache()
    ctx.count(acknowledged=confirmed, unconfirmed=pending)
    message = f"{confirmed} rows confirmed in Magento and acknowledged; {pending} still differ and stay changed"
    return JobOutcome("succeeded", {"acknowledged": confirmed, "unconfirmed": pending}, message)


def _confirm_source(ctx: JobContext, mdm: Engine, client: MagentoClient, store: StoreSource,
                    patience: Patience) -> tuple[int, int]:
    """Acknowledge the source's changed rows whose quantity and status Magento already has."""
    confirmed = pending = 0
    code, after = int(store.code_source), None
    while True:
        ctx.checkpoint()
        rows = patiently(ctx, partial(changed_rows, mdm, code, after=after, limit=LOOKUP_CHUNK),
                         patience, upstream="mdm")
        if not rows:
            break
        after = rows[-1].code_mdm
        in_magento = patiently(ctx, partial(_magento_items, client, [r.code_mdm for r in rows], store.magentoSource),
                               patience)
        matching = []
        for row in rows:
            expected = source_item(row.code_mdm, store.magentoSource, row.qte_stock)
            actual = in_magento.get(row.code_mdm.casefold())
            if actual is not None and float(actual.get("quantity") or 0) == expected["quantity"] \
                    and int(actual.get("status") or 0) == expected["status"]:
                matching.append(row)
        result = patiently(ctx, partial(acknowledge, mdm, matching), patience, upstream="mdm")
        confirmed += result.acknowledged
        pending += len(rows) - result.acknowledged
        ctx.advance(store.code_source, len(rows))
    return confirmed, pending


def _magento_items(client: MagentoClient, skus: list[str], source_code: str) -> dict[str, dict[str, Any]]:
    criteria = {"filter_groups": [
        {"filters": [{"field": "sku", "value": ",".join(skus), "condition_type": "in"}]},
        {"filters": [{"field": "source_code", "value": source_code, "condition_type": "eq"}]}],
        "pageSize": len(skus), "currentPage": 1}
    found = client.search("V1/inventory/source-items", criteria)
    return {str(item["sku"]).casefold(): item for item in found.get("items") or []}
