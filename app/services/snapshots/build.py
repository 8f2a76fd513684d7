"""The snapshot job (kind "snapshots"): read Magento (in full or what changed), merge, store every dataset.

Params: `full` (re-read every group from scratch), `groups` (subset of catalog, sales, inventory to read;
default all), `refetch` (groups among them to re-read in full), `sources` (Magento source codes: re-read
only their source items). One build runs at a time
(job lock `snapshots`); the dashboard counts are read by every build. Incremental reads are checked
against Magento's total_count: a difference (a deleted product, an order out of the window) re-reads that
group in full, and the daily full schedule guards against any other drift.
"""
from __future__ import annotations

import logging
from typing import Any

from app.adapters.appdb import get_app_engine
from app.services.jobs import JobContext, JobOutcome
from app.services.jobs import store as job_store
from app.services.jobs.store import utcnow
from app.services.magento import analytics, charts
from app.services.snapshots import datasets as ds
from app.services.snapshots.storage import get_state_store, get_store, put_dataset
from config.current import get_settings

log = logging.getLogger(__name__)
LOCK = "snapshots"


def run_snapshot_job(ctx: JobContext) -> JobOutcome:
    """Job handler; see the module docstring."""
    appdb = get_app_engine()
    lease = get_settings().sync.lease_seconds
    while not job_store.acquire_lock(appdb, LOCK, ctx.job_id, ctx.owner, lease):
        ctx.mark("lock", status="waiting-lock")  # another build runs: this one merges after it
        ctx.sleep(1.0)
    try:
        return _build(ctx)
    finally:
        job_store.release_lock(appdb, LOCK, ctx.job_id, ctx.owner)


def _build(ctx: JobContext) -> JobOutcome:
    settings = get_settings()
    params = ctx.params
    stored = get_state_store().get(ds.STATE_NAME)
    state = stored.data if stored is not None and ds.usable(stored.data) else None
    full = bool(params.get("full")) or state is None
    state = state if state is not None else ds.empty_state()
    groups = list(ds.GROUPS) if full or not params.get("groups") else [g for g in ds.GROUPS if g in params["groups"]]
    refetch = set(params.get("refetch") or ())  # groups to re-read in full (prices change no updated_at)
    report: dict[str, Any] = {"full": full, "groups": groups, "read": {}, "refetched": []}
    started = utcnow()
    state["counts"] = {**analytics.counts(), "readAt": ds.iso(started)}
    if "catalog" in groups:
        _catalog(ctx, state, full or "catalog" in refetch, report)
    if "sales" in groups:
        _sales(ctx, state, full or "sales" in refetch, settings.snapshots.sales_months, report)
    if "inventory" in groups:
        _inventory(ctx, state, None if full or "inventory" in refetch else params.get("sources"), report)
    if full:
        state["fullAt"] = ds.iso(started)
    ctx.checkpoint()  # a stopped job stores nothing: the next one starts from the previous working set
    now = utcnow()
    built = ds.compute(state, now, months=settings.snapshots.sales_months,
                       low_stock_qty=settings.snapshots.low_stock_qty)
    store = get_store()
    for name, data in built.items():
        put_dataset(store, name, data, ds.as_of(state, name), ctx.job_id)
    put_dataset(get_state_store(), ds.STATE_NAME, state, ds.iso(started), ctx.job_id)
    report["datasets"] = {name: ds.as_of(state, name) for name in built}
    read = ", ".join(f"{n} {k}" for k, n in report["read"].items())
    message = (f"{len(built)} snapshots built ({'full' if full else 'incremental'}: {', '.join(groups)}); "
               f"read {read or 'counts only'}")
    ctx.count(datasets=len(built), **{k: int(n) for k, n in report["read"].items()})
    return JobOutcome("succeeded", report, message)


def _catalog(ctx: JobContext, state: dict[str, Any], full: bool, report: dict[str, Any]) -> None:
    catalog = state["catalog"]
    started = ds.iso(utcnow())
    since = None if full else catalog["watermark"]
    raw = analytics.products(since, ctx)
    products = ds.merge_by_id({} if since is None else catalog["products"], (charts.slim_product(p) for p in raw))
    if since is not None and len(products) != analytics.count("V1/products"):
        # Deleted products never show up in an updated_at filter: the count tells, re-read them all.
        report["refetched"].append("catalog")
        raw = analytics.products(None, ctx)
        products = ds.merge_by_id({}, (charts.slim_product(p) for p in raw))
        since = None
    catalog.update(products=products, watermark=ds.watermark(raw, catalog["watermark"] if since else None),
                   tree=analytics.category_tree(), brands=analytics.brand_options(),
                   attributes=analytics.attributes(ctx), readAt=started)
    report["read"]["products"] = len(raw)


def _sales(ctx: JobContext, state: dict[str, Any], full: bool, months: int, report: dict[str, Any]) -> None:
    sales = state["sales"]
    now = utcnow()
    started = ds.iso(now)
    start = ds.sales_start(now, months)
    # A window that starts earlier than the stored one (MAGENTO_SALES_MONTHS raised) needs the older orders.
    since = None if full or not sales["start"] or start < sales["start"] else sales["watermark"]
    raw = analytics.orders(start, since, ctx)
    orders = ds.trim_orders(ds.merge_by_id({} if since is None else sales["orders"],
                                           (charts.slim_order(o) for o in raw)), start)
    if since is not None and len(orders) != analytics.count(
            "V1/orders", {"filters": [{"field": "created_at", "value": start, "condition_type": "gteq"}]}):
        report["refetched"].append("sales")
        raw = analytics.orders(start, None, ctx)
        orders = ds.merge_by_id({}, (charts.slim_order(o) for o in raw))
        since = None
    sales.update(orders=orders, start=start, watermark=ds.watermark(raw, sales["watermark"] if since else None),
                 readAt=started)
    report["read"]["orders"] = len(raw)


def _inventory(ctx: JobContext, state: dict[str, Any], sources: list[str] | None, report: dict[str, Any]) -> None:
    inventory = state["inventory"]
    started = ds.iso(utcnow())
    if sources and inventory["readAt"].get("*") is None:
        sources = None  # never read in full yet: a partial read would leave the other sources out
    items = analytics.source_items(sources, ctx)
    fresh = ds.source_item_map(items)
    if sources:
        for code in sources:
            inventory["sources"][code] = fresh.get(code, {})
            inventory["readAt"][code] = started
    else:
        inventory["sources"] = fresh
        inventory["readAt"] = {"*": started}
    report["read"]["sourceItems"] = len(items)
