"""Sorted views for the large shop's searches: BookIndex over a read-only record book (50,000 orders) and
key_sorted_search over the source items, so a search costs milliseconds instead of filtering and sorting
every record per call.

Magento answers `GET /V1/orders?...sortOrders=created_at DESC&pageSize=150` from MySQL indexes, and many
PHP-FPM workers answer such calls side by side. The sandbox filtered and sorted all 50,000 records on
every call (~0.7 s of CPU under the state lock), so concurrent searches queued one behind the other. The
answers are exactly those of `search.apply` over the book (tests/sandbox/test_book_index.py checks both).
"""
from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from itertools import islice
from typing import TYPE_CHECKING, Any

from . import search
from .search import Filter, SearchCriteria

if TYPE_CHECKING:  # state.py imports this module (through sales_book)
    from .state import KeyedRows

# condition -> (ids[lo:hi] bounds) on keys sorted ascending, for the comparisons `search.matches` makes.
_RANGES: dict[str, Callable[[list[tuple], tuple], tuple[int, int]]] = {
    "eq": lambda keys, v: (bisect.bisect_left(keys, v), bisect.bisect_right(keys, v)),
    "gt": lambda keys, v: (bisect.bisect_right(keys, v), len(keys)),
    "gteq": lambda keys, v: (bisect.bisect_left(keys, v), len(keys)),
    "lt": lambda keys, v: (0, bisect.bisect_left(keys, v)),
    "lteq": lambda keys, v: (0, bisect.bisect_right(keys, v)),
}
_RANGES.update(moreq=_RANGES["gteq"], to=_RANGES["lteq"])
_RANGES["from"] = _RANGES["gteq"]
_TEXT = 2  # cmp_key class of a non-numeric text


class BookIndex:
    """Per-field sort orders and key arrays of an immutable {id: record} book, built on first use.

    `get(id, field)` reads one field (RecordBook.field). Orders keep search.apply's tie-break: ids
    ascending among equal keys, also for a descending sort (Python's sort is stable with reverse=True).
    """

    def __init__(self, ids: Iterable[int], get: Callable[[int, str], Any]) -> None:
        self._ids = sorted(ids)
        self._get = get
        # Filled lazily; a race only computes the same list twice (callers also hold the state lock).
        self._orders: dict[tuple[str, bool], list[int]] = {}
        self._keys: dict[str, tuple[list[tuple], list[int]] | None] = {}

    def order(self, field: str, descending: bool) -> list[int]:
        """Every id sorted on `field` as search.apply sorts it."""
        found = self._orders.get((field, descending))
        if found is None:
            get = self._get
            found = sorted(self._ids, key=lambda i: search.cmp_key(get(i, field)), reverse=descending)
            self._orders[(field, descending)] = found
        return found

    def _sorted_keys(self, field: str) -> tuple[list[tuple], list[int]] | None:
        """(ascending comparison keys, their ids) when every value of `field` is one non-null scalar kind
        (then a comparison is a bisection); None when a filter on it must test record by record."""
        if field not in self._keys:
            ids = self.order(field, False)
            values = [self._get(i, field) for i in ids]
            keys = [search.cmp_key(v) for v in values]
            uniform = (bool(keys) and all(v is not None and not isinstance(v, list | dict) for v in values)
                       and len({k[0] for k in keys}) == 1)
            self._keys[field] = (keys, ids) if uniform else None
        return self._keys[field]

    def _matching(self, f: Filter) -> set[int]:
        """Ids whose `f.field` matches the filter."""
        bounds = _RANGES.get(f.condition_type)
        index = self._sorted_keys(f.field) if bounds is not None and f.value is not None else None
        if index is not None and bounds is not None:
            keys, ids = index
            wanted = search.cmp_key(f.value)
            if wanted[0] != keys[0][0]:
                if keys[0][0] != _TEXT:  # numbers against a text compare as texts: another order
                    return self._scan(f)
                wanted = search.text_key(f.value)  # a number against texts: compared as text too
            lo, hi = bounds(keys, wanted)
            return set(ids[lo:hi])
        return self._scan(f)

    def _scan(self, f: Filter) -> set[int]:
        get = self._get
        return {i for i in self._ids if search.matches(f, get(i, f.field))}

    def search(self, crit: SearchCriteria) -> dict:
        """search.apply(sorted ids, crit, get): {items (ids of the page), search_criteria, total_count}."""
        if len(crit.sort_orders) > 1:  # rare: no index for several keys
            return search.apply(self._ids, crit, self._get)
        matched: set[int] | None = None
        for group in (g for g in crit.filter_groups if g):
            hits = set().union(*(self._matching(f) for f in group))
            matched = hits if matched is None else matched & hits
        if crit.sort_orders:
            field, direction = crit.sort_orders[0]
            order = self.order(field, direction != "ASC")
        else:
            order = self._ids
        total = len(order) if matched is None else len(matched)
        rows: Iterable[int] = order if matched is None else (i for i in order if i in matched)
        size = crit.page_size or 0
        if size > 0:
            start = (max(crit.current_page or 1, 1) - 1) * size
            rows = islice(rows, start, start + size)
        return {"items": list(rows), "search_criteria": crit.echo(), "total_count": total}


def key_sorted_search(rows: KeyedRows, crit: SearchCriteria, key_fields: frozenset[str]) -> dict | None:
    """search.apply(list(rows.values()), crit) for an unfiltered search sorted on fields that are part of
    the row's key (a source item's sku and source_code), from an order cached on `rows` until a key is
    added or removed; None for any other search (the caller scans).

    The snapshot job reads 240,000 source items in 800 pages sorted on (sku, source_code): sorting them
    all again per page cost ~0.5 s of CPU under the state lock, and a real Magento reads them by index.
    """
    if any(crit.filter_groups) or not crit.sort_orders or any(f not in key_fields for f, _ in crit.sort_orders):
        return None
    signature = tuple((f, d != "ASC") for f, d in crit.sort_orders)
    cached = rows.orders.get(signature)
    if cached is None or cached[0] != rows.keys_version:
        keyed = list(rows.items())
        for field, descending in reversed(signature):
            keyed.sort(key=lambda kv: search.cmp_key(kv[1].get(field)), reverse=descending)
        cached = rows.orders[signature] = (rows.keys_version, [key for key, _ in keyed])
    order = cached[1]
    size = crit.page_size or 0
    if size > 0:
        start = (max(crit.current_page or 1, 1) - 1) * size
        order = order[start:start + size]
    return {"items": [rows[key] for key in order], "search_criteria": crit.echo(), "total_count": len(cached[1])}
