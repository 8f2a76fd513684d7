"""The price sync job: Magento async bulk (bulk_uuid tracked, status polled until operations settle), then
a complete fallback through V1/products/base-prices for every item the bulk did not confirm.

Per item the outcome is one of: success via "bulk" (operation status 1), success via "base-prices" (absent
from Magento's failure list), or failed with Magento's message. The job result carries the fields the
frontend reads: method, successful, failed, bulkId, results[{sku, price, status, method, error}], message.
The result is compact (it is stored in the job record, and a sync may carry 100,000 prices): counts per
outcome, and `results` lists the failed items only (at most MAX_FAILED_ITEMS), never every row.
"""
from __future__ import annotations

import logging
import time
from functools import partial
from typing import TYPE_CHECKING, Any

from app.adapters.magento import get_magento_client
from app.errors import AppError, UpstreamHTTPError
from app.services import snapshots
from app.services.jobs import JobContext, JobOutcome
from app.services.magento.proxy import invalidate as invalidate_magento_reads
from app.services.mdm.prices import PriceQuery, fetch_prices
from app.services.mdm.repository import business_today, get_mdm
from app.services.sync import metrics
from app.services.sync.planning import BatchSizer, LimitExceeded, Rejected, chunks, classify_refusal, push_isolating
from app.services.sync.upstream import Patience, patiently
from config.current import get_settings
from config.sections import SyncSettings

if TYPE_CHECKING:
    from app.adapters.magento import MagentoClient

log = logging.getLogger(__name__)
OPEN, COMPLETE = 4, 1
PART = "prices"
BULK_CHUNK = 1000  # products per async bulk request
MAX_FAILED_ITEMS = 1000  # failed items kept in the job record; the counts cover the rest


def run_price_job(ctx: JobContext) -> JobOutcome:
    """Job kind `prices`; its params are built by app/services/jobs/kinds.py price_sync."""
    settings = get_settings()
    patience = Patience.from_settings(settings.sync)
    rows = ctx.params.get("items")
    if rows is None:
        mdm = get_mdm()
        query = PriceQuery(today=business_today(), window_days=mdm.price_window_days)
        # max_age_s=0: a push ranks the tariffs afresh, so even a change that left no marker is pushed.
        rows = patiently(ctx, lambda: fetch_prices(mdm.engine, query, max_age_s=0).rows, patience,
                         upstream="mdm")
    outcomes: dict[str, dict[str, Any]] = {}
    valid: list[dict[str, Any]] = []
    for row in rows:
        sku, price = str(row.get("sku") or "").strip(), row.get("price")
        if not sku or price is None or float(price) < 0:
            outcomes[sku or f"#{len(outcomes)}"] = _result(sku, price, "failed", None, "missing SKU or price")
            continue
        valid.append({"sku": sku, "price": float(price)})
    ctx.set_total(PART, len(rows))
    ctx.advance(PART, len(rows) - len(valid))
    client = get_magento_client()
    bulk_ids: list[str] = []
    leftover = valid
    if valid and ctx.params.get("method") != "base-prices":
        leftover = _bulk(ctx, client, valid, outcomes, bulk_ids, settings.sync)
    if leftover:
        _base_prices(ctx, client, leftover, outcomes, settings.sync, patience)
    results = list(outcomes.values())
    successful = sum(1 for r in results if r["status"] == "success")
    failed = len(results) - successful
    methods = {r["method"] for r in results if r["status"] == "success"}
    method = "bulk+base-prices" if len(methods) > 1 else (methods.pop() if methods else "none")
    metrics.ITEMS.labels("prices", "accepted").inc(successful)
    metrics.ITEMS.labels("prices", "rejected").inc(failed)
    ctx.count(accepted=successful, rejected=failed)
    message = f"{successful} of {len(results)} prices synchronised ({method})"
    failed_items = [r for r in results if r["status"] != "success"]
    result = {"method": method, "successful": successful, "failed": failed, "total": len(results),
              "bySuccessMethod": _by_method(results), "bulkId": bulk_ids[0] if bulk_ids else None,
              "bulkIds": bulk_ids, "results": failed_items[:MAX_FAILED_ITEMS],
              "resultsTruncated": len(failed_items) > MAX_FAILED_ITEMS, "message": message}
    status = "succeeded" if failed == 0 else ("partial" if successful else "failed")
    if successful:
        invalidate_magento_reads("products")  # cached proxy reads show the new prices
        # Stock value (inventory/status) is quantity x price. Magento's base-prices endpoint does not move a
        # product's updated_at, so the catalog is re-read in full rather than "changed since".
        snapshots.refresh_after_sync(groups=["catalog"], refetch=["catalog"], reason=f"prices job {ctx.job_id}")
    return JobOutcome(status, result, message)


def _by_method(results: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        if r["status"] == "success":
            counts[r["method"]] = counts.get(r["method"], 0) + 1
    return counts


def _result(sku: str, price: Any, status: str, method: str | None, error: str | None,
            response: Any = None) -> dict[str, Any]:
    return {"sku": sku, "price": price, "status": status, "method": method, "error": error, "response": response}


def _bulk(ctx: JobContext, client: MagentoClient, items: list[dict[str, Any]], outcomes: dict[str, dict[str, Any]],
          bulk_ids: list[str], sync: SyncSettings) -> list[dict[str, Any]]:
    """Publish async bulks and poll them; returns the items the bulk did not confirm (for the fallback)."""
    tracked: list[tuple[str, dict[int, dict[str, Any]]]] = []
    leftover: list[dict[str, Any]] = []
    for part in chunks(items, BULK_CHUNK):
        ctx.checkpoint()
        started = time.perf_counter()
        try:  # not retried: a replay would publish a second bulk; the fallback covers a failure
            accepted = client.bulk_products_async([{"sku": i["sku"], "price": i["price"]} for i in part])
        except AppError as exc:
            log.warning("job %s: async bulk refused (%s); base-prices fallback", ctx.job_id, exc.message)
            ctx.error(message=f"async bulk failed: {exc.message}", method="bulk")
            leftover.extend(part)
            continue
        finally:
            metrics.BATCH_SECONDS.labels("prices").observe(time.perf_counter() - started)
            ctx.count(pushed=len(part), calls=1)
        bulk_ids.append(accepted.bulk_uuid)
        by_id: dict[int, dict[str, Any]] = {}
        for index, item in enumerate(part):
            request_item = accepted.request_items[index] if index < len(accepted.request_items) else {}
            if request_item.get("status") == "rejected":
                leftover.append(item)
            else:
                by_id[int(request_item.get("id", index))] = item
        tracked.append((accepted.bulk_uuid, by_id))
    deadline = time.monotonic() + sync.price_bulk_timeout
    patience = Patience(retries=1, wait_interval=sync.price_bulk_poll, wait_max=sync.price_bulk_timeout)
    while tracked:
        still_open = []
        for bulk_uuid, by_id in tracked:
            try:
                status = patiently(ctx, partial(client.bulk_status, bulk_uuid), patience)
            except AppError as exc:
                ctx.error(message=f"bulk {bulk_uuid} status unavailable: {exc.message}", method="bulk")
                leftover.extend(by_id.values())
                continue
            for op in status.get("operations_list") or []:
                done = by_id.get(int(op.get("id", -1)))
                if done is None or op.get("status") == OPEN:
                    continue
                del by_id[int(op["id"])]
                if op.get("status") == COMPLETE:
                    outcomes[done["sku"]] = _result(done["sku"], done["price"], "success", "bulk", None)
                    ctx.advance(PART, 1)
                else:  # failed (2, 3) or rejected (5): base-prices gives the item its own verdict
                    leftover.append(done)
            if by_id:
                still_open.append((bulk_uuid, by_id))
        tracked = still_open
        if not tracked:
            break
        if time.monotonic() >= deadline:
            ctx.error(message=f"async bulk operations still open after {sync.price_bulk_timeout:.0f} s; "
                              "base-prices fallback", method="bulk")
            leftover.extend(item for _u, by_id in tracked for item in by_id.values())
            break
        ctx.sleep(sync.price_bulk_poll)
    return leftover


def _base_prices(ctx: JobContext, client: MagentoClient, items: list[dict[str, Any]],
                 outcomes: dict[str, dict[str, Any]], sync: SyncSettings, patience: Patience) -> None:
    """POST V1/products/base-prices in chunks; every item gets success or Magento's failure message."""
    store_id = sync.price_store_id
    failures: dict[str, str] = {}

    def send(part: list[dict[str, Any]]) -> None:
        payload = [{"sku": i["sku"], "price": i["price"], "store_id": store_id} for i in part]
        started = time.perf_counter()
        try:
            answer = patiently(ctx, lambda: client.base_prices(payload), patience)
        except UpstreamHTTPError as exc:
            refusal = classify_refusal(exc.status, exc.message, exc.details)
            if isinstance(refusal, (LimitExceeded, Rejected)):
                raise refusal from exc
            raise
        finally:
            metrics.BATCH_SECONDS.labels("prices").observe(time.perf_counter() - started)
            ctx.count(pushed=len(payload), calls=1)
        failures.update(_map_failures(part, answer or []))

    pushed = push_isolating(items, send, key=lambda i: i["sku"], sizer=BatchSizer(sync.batch_size))
    for item in pushed.accepted:
        error = failures.get(item["sku"])
        outcomes[item["sku"]] = _result(item["sku"], item["price"], "failed" if error else "success",
                                        "base-prices", error)
    for item, message in pushed.rejected:
        outcomes[item["sku"]] = _result(item["sku"], item["price"], "failed", "base-prices", message)
    ctx.advance(PART, len(items))


def _map_failures(part: list[dict[str, Any]], answer: list[dict[str, Any]]) -> dict[str, str]:
    """Magento's failure list -> {sku: message}. Entries name the SKU (parameters ["SKU", sku] or the store
    error's [sku, store_id]) or the price (["Price", value]: every item of the part with that price)."""
    from app.adapters.magento.translate import fill_placeholders

    skus = {i["sku"].casefold(): i["sku"] for i in part}
    out: dict[str, str] = {}
    for failure in answer:
        params = failure.get("parameters") or []
        text = fill_placeholders(str(failure.get("message", "")), params)
        if len(params) >= 2 and str(params[0]) == "SKU":
            targets = [skus.get(str(params[1]).casefold())]
        elif len(params) >= 2 and str(params[0]) == "Price":
            targets = [i["sku"] for i in part if _fmt(i["price"]) == str(params[1])]
        else:
            targets = [skus.get(str(params[0]).casefold())] if params else []
        for sku in targets:
            if sku:
                out[sku] = text
    return out


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)



