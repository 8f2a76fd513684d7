"""The pre-computed current tariff: every product's applied price for one business date, ranked once.

Ranking the whole Tarif table (window function over ~200,000 rows, then the variant -> configurable
join) costs hundreds of ms on 50,000 products; the prices query only needs its result. A `PriceTable`
holds that result in the process, sorted by SKU, and is rebuilt when it may be wrong:
- the business date changed (tariffs start and end on dates);
- the MDM's change markers moved: ``MAX(Tarif.DateModif)`` or ``MAX(Produits_ECommerce.DateCreation)``
  (the MDM stamps every tariff it writes; both maxima are index lookups, ~0.1 ms);
- it is older than `max_age_s` (catches what leaves no marker: a deleted tariff, a relinked variant): then
  the call is answered from the old table while one background thread re-ranks (max_age_s=0: re-rank
  before answering, as the price sync does);
- `invalidate_price_tables()` was called (the demo seeding replaces every row).
Concurrent readers of a stale table wait for one rebuild instead of each running the ranking.
"""
from __future__ import annotations

import logging
import threading
import time
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from app.adapters import sql
from app.adapters.mdm.tables import produits, tarif
from app.adapters.sql import AnySelect
from app.services.mdm.metrics import observed

log = logging.getLogger(__name__)

# The change markers' values as read (compared for equality only), and a table's key: the engine (URL and
# schema translation) and the business date.
Marker = tuple[object, ...]
EngineKey = tuple[str, tuple[tuple[Any, Any], ...]]
TableKey = tuple[EngineKey, date]

DEFAULT_MAX_AGE_S = 60.0  # the same staleness the /api/mdm/prices response cache already allows
MAX_TABLES = 8  # engines x dates kept per process (tests open many throw-away schemas)
MAX_SELECTIONS = 64  # (window, category) selections kept per table


@dataclass(frozen=True, slots=True)
class CurrentPrice:
    sku: str
    changed: datetime | None  # the later of the applied tariff's DateModif and the product's DateCreation
    category: str | None
    row: dict[str, Any]  # {"sku", "price"} as the prices query answers it; shared by every caller: read-only


@dataclass
class PriceTable:
    """One engine's current prices on one date, sorted by SKU."""

    marker: Marker
    built_at: float
    rows: list[CurrentPrice]
    skus: list[str]
    _selections: dict[tuple[datetime, str | None], list[CurrentPrice]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def lookup(self, sku: str) -> list[CurrentPrice]:
        at = bisect_left(self.skus, sku)
        return [self.rows[at]] if at < len(self.skus) and self.skus[at] == sku else []

    def select(self, cutoff: datetime, category: str | None) -> list[CurrentPrice]:
        """Rows changed at or after `cutoff` (in `category`), in SKU order; kept, since every call of a
        day asks the same window."""
        key = (cutoff, category)
        with self._lock:
            hit = self._selections.get(key)
        if hit is None:
            hit = [row for row in self.rows if _in_window(row, cutoff, category)]
            with self._lock:
                if len(self._selections) >= MAX_SELECTIONS:
                    self._selections.clear()
                self._selections[key] = hit
        return hit


def _in_window(row: CurrentPrice, cutoff: datetime, category: str | None) -> bool:
    return row.changed is not None and row.changed >= cutoff and (not category or row.category == category)


def marker_statement() -> AnySelect:
    """The change markers: latest tariff modification and latest product creation."""
    return select(select(func.max(tarif.c.DateModif)).scalar_subquery(),
                  select(func.max(produits.c.DateCreation)).scalar_subquery())


class _Registry:
    def __init__(self) -> None:
        self._tables: OrderedDict[TableKey, PriceTable] = OrderedDict()
        self._lock = threading.Lock()
        self._build_locks: dict[TableKey, threading.Lock] = {}

    def get(self, engine: Engine, today: date, build: Callable[[], AnySelect], max_age_s: float) -> PriceTable:
        key = (_engine_key(engine), today)
        with sql.connect(engine) as conn, observed("mdm.prices_marker"):
            marker = tuple(conn.execute(marker_statement()).one())
        table = self._matching(key, marker)
        if table is not None:
            if time.monotonic() - table.built_at <= max_age_s:
                return table
            if max_age_s > 0:
                # Only old, nothing known to have changed: answer now and re-rank behind the request, so the
                # periodic refresh never makes a caller wait for the ranking.
                self._refresh_behind(key, engine, build, marker)
                return table
        with self._build_lock(key):
            table = self._matching(key, marker)  # another thread may have just rebuilt it
            if table is None or time.monotonic() - table.built_at > max_age_s:
                table = self._store(key, _build(engine, build(), marker))
        return table

    def _matching(self, key: TableKey, marker: Marker) -> PriceTable | None:
        with self._lock:
            table = self._tables.get(key)
        return table if table is not None and table.marker == marker else None

    def _build_lock(self, key: TableKey) -> threading.Lock:
        with self._lock:
            return self._build_locks.setdefault(key, threading.Lock())

    def _store(self, key: TableKey, table: PriceTable) -> PriceTable:
        with self._lock:
            self._tables[key] = table
            self._tables.move_to_end(key)
            while len(self._tables) > MAX_TABLES:
                old, _ = self._tables.popitem(last=False)
                self._build_locks.pop(old, None)
        return table

    def _refresh_behind(self, key: TableKey, engine: Engine, build: Callable[[], AnySelect], marker: Marker) -> None:
        lock = self._build_lock(key)
        if not lock.acquire(blocking=False):
            return  # a rebuild is already running

        def refresh() -> None:
            try:
                self._store(key, _build(engine, build(), marker))
            except Exception:  # noqa: BLE001 - the next call retries; the current table keeps answering
                log.warning("pre-computed prices: background refresh failed", exc_info=True)
            finally:
                lock.release()

        threading.Thread(target=refresh, name="mdm-prices-refresh", daemon=True).start()

    def clear(self) -> None:
        with self._lock:
            self._tables.clear()


_registry = _Registry()


def _engine_key(engine: Engine) -> EngineKey:
    translate = engine.get_execution_options().get("schema_translate_map") or {}
    return (engine.url.render_as_string(hide_password=True), tuple(sorted(translate.items(), key=str)))


def _build(engine: Engine, statement: AnySelect, marker: Marker) -> PriceTable:
    with sql.connect(engine) as conn, observed("mdm.prices_rank"):
        result = conn.execute(statement).all()
    rows = sorted((CurrentPrice(sku, _later(modified, created), category,
                                {"sku": sku, "price": None if price is None else float(price)})
                   for sku, price, modified, created, category in result), key=lambda r: r.sku)
    return PriceTable(marker=marker, built_at=time.monotonic(), rows=rows, skus=[r.sku for r in rows])


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


def select_prices(table: PriceTable, cutoff: datetime, category: str | None,
                  sku: str | None) -> list[CurrentPrice]:
    """The rows of `table` in the window, optionally one SKU and/or one category, in SKU order."""
    if sku:
        return [row for row in table.lookup(sku) if _in_window(row, cutoff, category)]
    return table.select(cutoff, category)


def current_price_table(engine: Engine, today: date, build: Callable[[], AnySelect],
                        max_age_s: float = DEFAULT_MAX_AGE_S) -> PriceTable:
    """The current prices of `engine` on `today`; `build()` gives the ranking statement when a rebuild is due.

    Raises DependencyUnavailable (from the sql adapter) when the MDM database can't be reached."""
    return _registry.get(engine, today, build, max_age_s)


def invalidate_price_tables() -> None:
    """Forget every pre-computed table of this process (after replacing the MDM rows wholesale)."""
    _registry.clear()
