"""The sync job kinds as typed submit functions: the routes, the CLI and the tests start sync jobs only here."""
from __future__ import annotations

from typing import Any

from app.services.jobs import get_jobs, kinds


def submit_price_sync(items: list[dict[str, Any]] | None = None, *, base_prices_only: bool = False,
                      requested_by: str | None = None, start: bool = True) -> int:
    """Queue a price push of `items` ([{sku, price}]; None: MDM's prices to synchronise); returns the job id."""
    return get_jobs().submit(kinds.price_sync(items, base_prices_only=base_prices_only), requested_by=requested_by,
                             start=start)


def submit_stock_sync(sources: list[str] | None = None, merge: bool = True, full: bool = False, *,
                      requested_by: str | None = None, start: bool = True) -> int:
    """Queue the stock pipeline for `sources` (None: all): MERGE when `merge`, every row when `full`."""
    return get_jobs().submit(kinds.stock_sync(sources, merge=merge, full=full), requested_by=requested_by,
                             start=start)


def submit_stock_acknowledge(sources: list[str] | None = None, *, requested_by: str | None = None,
                             start: bool = True) -> int:
    """Queue the acknowledgement of rows Magento already holds, for `sources` (None: all)."""
    return get_jobs().submit(kinds.stock_acknowledge(sources), requested_by=requested_by, start=start)
