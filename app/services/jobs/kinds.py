"""Every job kind's name and parameters, once: routes, CLI, scheduler and handlers build requests here.

A JobRequest is what the queue stores (kind + JSON params); the builders below are the only place a job's
params dict is spelt, and each handler documents the same keys.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PRICES = "prices"
STOCKS = "stocks"
STOCKS_ACKNOWLEDGE = "stocks.acknowledge"
SNAPSHOTS = "snapshots"
IMAGES_BATCH = "images.batch"
JOBS_PRUNE = "jobs.prune"


@dataclass(frozen=True)
class JobRequest:
    kind: str
    params: dict[str, Any]


def price_sync(items: list[dict[str, Any]] | None = None, *, base_prices_only: bool = False) -> JobRequest:
    """Push `items` ([{sku, price}]), or MDM's prices to synchronise when None; `base_prices_only` skips the
    async bulk endpoint and posts to base-prices straight away."""
    params: dict[str, Any] = {"items": items}
    if base_prices_only:
        params["method"] = "base-prices"
    return JobRequest(PRICES, params)


def stock_sync(sources: list[str] | None = None, *, merge: bool = True, full: bool = False) -> JobRequest:
    """Push the changed stock rows of `sources` (None: every mapped source), after the MERGE when `merge`;
    `full` pushes every row, changed or not."""
    params: dict[str, Any] = {"sources": sources, "merge": merge}
    if full:
        params["full"] = True
    return JobRequest(STOCKS, params)


def stock_acknowledge(sources: list[str] | None = None) -> JobRequest:
    """Acknowledge the changed rows Magento already holds (None: every source)."""
    return JobRequest(STOCKS_ACKNOWLEDGE, {"sources": sources})


def snapshot_build(*, full: bool = False, groups: list[str] | None = None) -> JobRequest:
    """Rebuild the dashboard snapshots: everything (`full`), or what changed in `groups` (None: all)."""
    return JobRequest(SNAPSHOTS, {"full": full, **({"groups": groups} if groups is not None else {})})


def snapshot_refresh(*, full: bool, groups: list[str] | None, sources: list[str] | None,
                     refetch: list[str] | None) -> JobRequest:
    """A refresh after a change (snapshots.request_refresh): the groups, the inventory of `sources` only, and
    the datasets to read again in full (`refetch`)."""
    return JobRequest(SNAPSHOTS, {"full": full, "groups": groups, "sources": sources, "refetch": refetch})


def job_prune() -> JobRequest:
    """Delete the job history older than JOB_RETENTION_DAYS."""
    return JobRequest(JOBS_PRUNE, {})


def image_batch(batch: str, sizes: list[Any], format: str, quality: int, count: int) -> JobRequest:  # noqa: A002
    """Turn the staged uploads of `batch` into the requested sizes."""
    return JobRequest(IMAGES_BATCH, {"batch": batch, "sizes": sizes, "format": format, "quality": quality,
                                     "count": count})
