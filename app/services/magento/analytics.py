"""What the dashboard snapshots are built from, read from Magento page by page (only by the snapshot job).

Never called inside a request: app/services/snapshots runs these in a background job and serves the
stored result. Products and orders can be read "changed since" (`updated_at >= watermark`, a searchCriteria
filter Magento supports on both); MSI source items carry no `updated_at`, so they are read whole, or only
for the sources a stock sync touched. Each reader reports its pages to an optional `Progress` (the job's
context: totals, advance, stop checks). Errors propagate (UpstreamHTTPError / UpstreamUnavailable /
UpstreamTimeout): the job fails or retries, the stored snapshots stay as they were.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from flask import current_app

from app.adapters.magento import get_magento_client
from app.errors import UpstreamHTTPError
from app.services.magento import charts
from config.budgets import magento_per_worker
from config.current import get_settings

BRAND_ATTRIBUTE = "mgs_brand"
MAX_PAGE_SIZE = 300  # Magento's input limit for searchCriteria pageSize


class Progress(Protocol):
    def set_total(self, part: str, total: int) -> None: ...

    def advance(self, part: str, done: int = 1, **extra: Any) -> None: ...

    def checkpoint(self) -> None: ...


def _page_size() -> int:
    return max(1, min(MAX_PAGE_SIZE, get_settings().snapshots.page_size))


def _concurrency() -> int:
    """Pages read at once: the setting, never more than half the worker's Magento slots (requests keep the rest)."""
    settings = get_settings()
    return max(1, min(settings.snapshots.concurrency, magento_per_worker(settings) // 2))


def _by(*fields: str) -> list[dict[str, str]]:
    # A stable order on a unique key, so no row moves between pages while we read them.
    return [{"field": f, "direction": "ASC"} for f in fields]


def _filter(field: str, value: str, condition: str) -> dict[str, Any]:
    return {"filters": [{"field": field, "value": value, "condition_type": condition}]}


def read_all(path: str, criteria: Mapping[str, Any], part: str, progress: Progress | None) -> Iterator[dict[str, Any]]:
    """Every item of a search, in page order, reporting `part`'s total and pages read to `progress`.

    The first page gives the total; the others are read `_concurrency()` at a time (issue 14: 240,000 source
    items are 800 pages, sequential at 0.3-1 s a page that is 4-13 minutes). Each page is one ordinary
    Magento call through the client, so the breaker, the bulkheads and the job's retry budget apply per page.
    """
    client = get_magento_client()
    size = _page_size()

    def page(number: int) -> dict[str, Any]:
        return client.search(path, {**criteria, "pageSize": size, "currentPage": number})

    if progress is not None:
        progress.checkpoint()
    first = page(1)
    total = int(first.get("total_count") or 0)
    if progress is not None:
        progress.set_total(part, total)
    number, result = 1, first
    for number, result in _pages(page, 2, -(-total // size), progress, first):  # noqa: B007 (read after)
        items = result.get("items") or []
        if progress is not None:
            progress.advance(part, len(items))
        yield from items
    # A total that grew while we paged (new rows sort last on a key order): read on, one page at a time,
    # until a page comes back short. The first page fixed the planned count, so this cannot loop forever
    # on a shop that keeps adding rows faster than we read: it stops at one page past the latest total.
    limit = -(-int(result.get("total_count") or 0) // size) + 1
    while len(result.get("items") or []) == size and number * size < int(result.get("total_count") or 0) \
            and number < limit:
        if progress is not None:
            progress.checkpoint()
        number += 1
        result = page(number)
        items = result.get("items") or []
        if progress is not None:
            progress.advance(part, len(items))
        yield from items


def _pages(page: Callable[[int], dict[str, Any]], start: int, last: int, progress: Progress | None,
           first: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(number, result) of page 1 (already read), then pages `start`..`last` read concurrently, in order."""
    yield 1, first
    if last < start or not (first.get("items") or []):
        return
    workers = min(_concurrency(), last - start + 1)
    if workers == 1:
        for number in range(start, last + 1):
            if progress is not None:
                progress.checkpoint()
            yield number, page(number)
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types the proxy as Flask

    def read(number: int) -> dict[str, Any]:
        with app.app_context():  # the client reads settings, breakers and bulkheads from the app
            return page(number)

    pool = ThreadPoolExecutor(workers, thread_name_prefix="snapshot-pages")
    pending: deque[tuple[int, Future[dict[str, Any]]]] = deque()
    numbers = iter(range(start, last + 1))
    try:
        while True:
            while len(pending) < workers:  # at most `workers` pages in flight, none read far ahead
                upcoming = next(numbers, None)
                if upcoming is None:
                    break
                if progress is not None:
                    progress.checkpoint()  # a stop request ends the read before the next page
                pending.append((upcoming, pool.submit(read, upcoming)))
            if not pending:
                return
            number, future = pending.popleft()
            yield number, future.result()  # the first failed page ends the read with its error
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def count(path: str, *filters: dict[str, Any]) -> int:
    """Magento's total_count for a search (one row fetched)."""
    criteria: dict[str, Any] = {"pageSize": 1, "currentPage": 1}
    if filters:
        criteria["filter_groups"] = list(filters)
    return int(get_magento_client().search(path, criteria).get("total_count") or 0)


def counts() -> dict[str, int]:
    """The dashboard's totals: five count calls."""
    return {"totalProducts": count("V1/products"),
            "enabledProducts": count("V1/products", _filter("status", "1", "eq")),
            "totalOrders": count("V1/orders"),
            "pendingOrders": count("V1/orders", _filter("status", "pending", "eq")),
            "totalCustomers": count("V1/customers/search")}


def products(since: str | None, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Raw products (every one, or those with updated_at >= since), sorted by entity id."""
    criteria: dict[str, Any] = {"sortOrders": _by("entity_id")}
    if since:
        criteria["filter_groups"] = [_filter("updated_at", since, "gteq")]
    return list(read_all("V1/products", criteria, "products", progress))


def orders(start: str, since: str | None, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Raw orders created at or after `start` (and, with `since`, updated at or after it)."""
    groups = [_filter("created_at", start, "gteq")]
    if since:
        groups.append(_filter("updated_at", since, "gteq"))
    return list(read_all("V1/orders", {"sortOrders": _by("entity_id"), "filter_groups": groups}, "orders", progress))


def source_items(sources: list[str] | None, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Slim MSI source items: every one, or only those of `sources` (Magento source codes)."""
    criteria: dict[str, Any] = {"sortOrders": _by("sku", "source_code")}  # (sku, source) is the key
    if sources:
        criteria["filter_groups"] = [_filter("source_code", ",".join(sources), "in")]
    items = read_all("V1/inventory/source-items", criteria, "source-items", progress)
    return [charts.slim_source_item(i) for i in items]


def category_tree() -> dict[str, dict[str, Any]]:
    return charts.flatten_tree(get_magento_client().request("GET", "V1/categories"))


def brand_options() -> list[dict[str, Any]]:
    try:
        options = get_magento_client().request("GET", f"V1/products/attributes/{BRAND_ATTRIBUTE}/options")
    except UpstreamHTTPError as exc:
        if exc.status == 404:  # a shop without the brand extension: no brands, not an error
            return []
        raise
    return [{"value": o.get("value"), "label": o.get("label")} for o in options or []]


def attributes(progress: Progress | None = None) -> list[dict[str, Any]]:
    items = read_all("V1/products/attributes", {"sortOrders": _by("attribute_id")}, "attributes", progress)
    return [{"attribute_code": a.get("attribute_code"), "default_frontend_label": a.get("default_frontend_label")}
            for a in items]
