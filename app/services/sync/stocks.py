"""The stock pipeline job: MERGE -> push changed rows to Magento MSI -> acknowledge exactly what Magento took.

Per source (at most SYNC_PARALLEL_SOURCES at once, each holding the job lock ``stock-source:<code>`` so two
runs never push one source out of order): batches of the current size, each the next keyset page of changed
rows, SYNC_SOURCE_INFLIGHT (or a finished source's freed share) in flight at a time, the next one read as
soon as one lands (the rows are distinct SKUs, so their order does not matter); bad items isolated
(planning.py), then `acknowledge` of the accepted rows in one statement *with the quantity and version that
were read*: a row whose stock moved meanwhile, or that Magento refused, stays changed for the next run.
Transient failures and outages are handled by `patiently` (upstream.py).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, current_app
from sqlalchemy import Engine

from app.adapters.appdb import get_app_engine
from app.adapters.magento import get_magento_client
from app.errors import AppError, UpstreamHTTPError
from app.services import snapshots
from app.services.jobs import JobContext, JobOutcome
from app.services.jobs import store as job_store
from app.services.jobs.context import JobStopped
from app.services.magento.proxy import invalidate as invalidate_magento_reads
from app.services.mdm.repository import get_mdm
from app.services.mdm.sources import StoreSource
from app.services.mdm.stock import (
    MAX_CHANGED_PAGE,
    ChangedRow,
    acknowledge,
    changed_rows,
    count_rows,
    merge_stock_changes,
    source_rows,
)
from app.services.sync import metrics
from app.services.sync.planning import BatchSizer, classify_refusal, push_isolating, source_items
from app.services.sync.upstream import Patience, patiently
from config.current import get_settings

if TYPE_CHECKING:
    from app.adapters.magento import MagentoClient

log = logging.getLogger(__name__)
T = TypeVar("T")
# The metric children, resolved once: a label lookup per batch is work for nothing.
_BATCH_SECONDS = metrics.BATCH_SECONDS.labels("stocks")
_PUSHED, _ACCEPTED, _REJECTED = (metrics.ITEMS.labels("stocks", result) for result in ("pushed", "accepted",
                                                                                       "rejected"))
_learned_limits: dict[str, int] = {}  # shop base URL -> input limit seen (per process): start small next time


@dataclass
class StockRun:
    """Everything the source threads share (resolved on the job thread, which has the app context)."""

    ctx: JobContext
    mdm: Engine
    appdb: Engine
    client: MagentoClient
    sizer: BatchSizer
    patience: Patience
    inflight: int
    lease_seconds: float
    full: bool
    pool: ThreadPoolExecutor
    app: Flask  # the Flask app: pool threads push its context (the client's shared token store needs it)
    slots: int = 1  # calls in flight for the whole job (parallel sources x in-flight per source)
    active: int = 0  # sources being pushed now
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def share(self) -> int:
        """Batches one source may have in flight now: its own share, or more when fewer sources remain
        (work-conserving: the last sources of a run use the slots the finished ones freed)."""
        with self._lock:
            return max(self.inflight, self.slots // max(1, self.active))

    def enter(self, delta: int) -> None:
        with self._lock:
            self.active += delta

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        def call() -> T:
            with self.app.app_context():
                return fn(*args)
        return self.pool.submit(call)


def run_stock_job(ctx: JobContext) -> JobOutcome:
    """Job kind `stocks`; its params are built by app/services/jobs/kinds.py stock_sync."""
    settings = get_settings()
    params = ctx.params
    mdm_repo = get_mdm()
    stores = _select_stores(mdm_repo.sources, params.get("sources"))
    patience = Patience.from_settings(settings.sync)
    mdm = mdm_repo.engine
    result: dict[str, Any] = {"sources": {}}
    if params.get("merge"):
        codes = params.get("sources") or [None]
        merged = [patiently(ctx, partial(merge_stock_changes, mdm, int(c) if c is not None else None),
                            patience, upstream="mdm") for c in codes]
        result["merge"] = {k: sum(m.as_dict()[k] for m in merged) for k in ("inserted", "updated", "unchanged")}
        mdm_repo.invalidate_cache()
    client = get_magento_client()
    base = client.config.base_url
    sizer = BatchSizer(min(settings.sync.batch_size, _learned_limits.get(base, settings.sync.batch_size)))
    parallel = max(1, min(settings.sync.parallel_sources, len(stores) or 1))
    inflight = max(1, settings.sync.source_inflight)
    with ThreadPoolExecutor(parallel * inflight, thread_name_prefix=f"job{ctx.job_id}-push") as pool, \
            ThreadPoolExecutor(parallel, thread_name_prefix=f"job{ctx.job_id}-source") as sources:
        run = StockRun(ctx, mdm, get_app_engine(), client, sizer, patience, inflight,
                       settings.sync.lease_seconds, bool(params.get("full")), pool,
                       current_app._get_current_object(), parallel * inflight)  # type: ignore[attr-defined]  # proxy typed as Flask
        app = run.app

        def source_task(store: StoreSource) -> dict[str, Any]:
            with app.app_context():
                return _push_source_safely(run, store)
        futures = {store.code_source: sources.submit(source_task, store) for store in stores}
        for code, future in futures.items():
            result["sources"][code] = future.result()
    if sizer.limit_seen:
        _learned_limits[base] = sizer.limit_seen
    mdm_repo.invalidate_cache()
    invalidate_magento_reads("inventory")  # cached proxy reads and dashboard lists
    if ctx.snapshot()["counts"].get("accepted"):  # Magento's stock changed: refresh inventory/status
        pushed = [s.magentoSource for s in stores] if params.get("sources") else None
        snapshots.refresh_after_sync(groups=["inventory"], sources=pushed, reason=f"stocks job {ctx.job_id}")
    result.update(batchSize=sizer.size, inputLimit=sizer.limit_seen)
    return _outcome(ctx, result)


def _select_stores(stores: tuple[StoreSource, ...], codes: list[Any] | None) -> list[StoreSource]:
    mapped = [s for s in stores if s.magentoSource]
    if not codes:
        return mapped
    wanted = {str(c) for c in codes}
    return [s for s in mapped if s.code_source in wanted]


def _push_source_safely(run: StockRun, store: StoreSource) -> dict[str, Any]:
    code = store.code_source
    try:
        return _push_source(run, store)
    except JobStopped:
        raise
    except Exception as exc:  # noqa: BLE001 - one source failing must not hide the others' results
        message = exc.message if isinstance(exc, AppError) else f"{type(exc).__name__}: {exc}"
        log.warning("job %s: source %s failed: %s", run.ctx.job_id, code, message)
        run.ctx.error(sourceCode=code, magentoSource=store.magentoSource, message=message)
        run.ctx.mark(code, status="failed", message=message[:200])
        return {"status": "failed", "message": message}


def _push_source(run: StockRun, store: StoreSource) -> dict[str, Any]:
    code = int(store.code_source)
    lock = f"stock-source:{code}"
    run.enter(+1)
    try:
        return _push_locked(run, store, lock)
    finally:
        run.enter(-1)


def _push_locked(run: StockRun, store: StoreSource, lock: str) -> dict[str, Any]:
    ctx, code = run.ctx, int(store.code_source)
    while not job_store.acquire_lock(run.appdb, lock, ctx.job_id, ctx.owner, run.lease_seconds):
        ctx.mark(store.code_source, status="waiting-lock")  # another run pushes this source: keep order
        ctx.sleep(1.0)
    try:
        total = patiently(ctx, lambda: count_rows(run.mdm, code, every=run.full), run.patience, upstream="mdm")
        ctx.set_total(store.code_source, total)
        ctx.mark(store.code_source, status="running")
        tally = {"accepted": 0, "rejected": 0, "acknowledged": 0, "stale": 0}
        for part in _push_rows(run, store, code):
            for key in tally:
                tally[key] += part[key]
        ctx.mark(store.code_source, status="done")
        return {"status": "done", "total": total, **tally}
    finally:
        job_store.release_lock(run.appdb, lock, ctx.job_id, ctx.owner)


def _push_rows(run: StockRun, store: StoreSource, code: int) -> Iterator[dict[str, int]]:
    """Keep the source's share of batches in flight: each batch is the next keyset page of changed rows (so
    full, only the last one short), read as soon as a batch lands -- no page waits for its slowest call.
    Every batch has finished when this ends or raises: the source lock must not be released under one."""
    ctx = run.ctx
    after: str | None = None
    exhausted = False
    inflight: set[Future[dict[str, int]]] = set()
    try:
        while True:
            ctx.checkpoint()
            while not exhausted and len(inflight) < run.share():
                limit = min(MAX_CHANGED_PAGE, run.sizer.size)
                rows, unchanged = patiently(ctx, partial(_rows, run.mdm, code, after, limit, run.full), run.patience,
                                            upstream="mdm")
                if not rows:
                    exhausted = True
                    break
                after = rows[-1].code_mdm
                inflight.add(run.submit(_push_batch, run, store, rows, unchanged))
            if not inflight:
                return
            done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        wait(inflight)


def _push_batch(run: StockRun, store: StoreSource, rows: list[ChangedRow],
                unchanged: frozenset[str]) -> dict[str, int]:
    """Push one batch (bad items isolated) and acknowledge what Magento took, in one statement. Each source
    item is built once; the batch's counts and metrics are recorded once, whatever its size."""
    ctx, magento_source = run.ctx, store.magentoSource
    pairs = list(zip(rows, source_items(rows, magento_source), strict=True))

    def send(part: list[tuple[ChangedRow, dict[str, Any]]]) -> None:
        payload = [item for _row, item in part]
        started = time.perf_counter()
        try:
            patiently(ctx, lambda: _post(run.client, payload), run.patience)
        finally:
            _BATCH_SECONDS.observe(time.perf_counter() - started)
            ctx.count(pushed=len(payload), calls=1)
            _PUSHED.inc(len(payload))

    pushed = push_isolating(pairs, send, key=_sku, sizer=run.sizer)
    accepted = [row for row, _item in pushed.accepted]
    if unchanged:  # a full re-push: rows that were not changed have nothing to acknowledge
        accepted = [row for row in accepted if row.code_mdm not in unchanged]
    ack = patiently(ctx, lambda: acknowledge(run.mdm, accepted), run.patience, upstream="mdm") \
        if accepted else None
    for (row, item), message in pushed.rejected:
        ctx.error(sku=row.code_mdm, sourceCode=store.code_source, magentoSource=magento_source,
                  quantity=item["quantity"], message=message)
    acked = ack.acknowledged if ack else 0
    stale = ack.stale if ack else 0
    ctx.count(accepted=len(pushed.accepted), rejected=len(pushed.rejected), acknowledged=acked, stale=stale)
    _ACCEPTED.inc(len(pushed.accepted))
    _REJECTED.inc(len(pushed.rejected))
    ctx.advance(store.code_source, len(rows))
    return {"accepted": len(pushed.accepted), "rejected": len(pushed.rejected), "acknowledged": acked,
            "stale": stale}


def _sku(pair: tuple[ChangedRow, dict[str, Any]]) -> str:
    return str(pair[1]["sku"])


def _post(client: MagentoClient, payload: list[dict[str, Any]]) -> None:
    try:
        client.post_source_items(payload)
    except UpstreamHTTPError as exc:
        refusal = classify_refusal(exc.status, exc.message, exc.details)
        if refusal is not None:
            raise refusal from exc
        raise


def _rows(mdm: Engine, code: int, after: str | None, limit: int,
          full: bool) -> tuple[list[ChangedRow], frozenset[str]]:
    """A keyset page of changed rows, or of every row for a full re-push, with the SKUs that are not changed."""
    if not full:
        return changed_rows(mdm, code, after=after, limit=limit), frozenset()
    page = source_rows(mdm, code, after=after, limit=limit)
    return [row for row, _changed in page], frozenset(row.code_mdm for row, changed in page if not changed)


def _outcome(ctx: JobContext, result: dict[str, Any]) -> JobOutcome:
    counts = ctx.snapshot()["counts"]
    failed_sources = [c for c, r in result["sources"].items() if r.get("status") == "failed"]
    rejected = counts.get("rejected", 0)
    accepted = counts.get("accepted", 0)
    result["counts"] = counts
    message = (f"{accepted} source items accepted, {rejected} rejected, {counts.get('acknowledged', 0)} rows "
               f"acknowledged over {len(result['sources'])} sources")
    if failed_sources:
        message += f"; sources failed: {', '.join(failed_sources)}"
    if not failed_sources and not rejected:
        return JobOutcome("succeeded", result, message)
    if accepted or len(failed_sources) < len(result["sources"]):
        return JobOutcome("partial", result, message)
    return JobOutcome("failed", result, message)
