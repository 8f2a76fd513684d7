"""Prices to push to Magento: the original's tariff rules as SQL statements, and the query that runs them.

Rules (original-backend.md section 2):
- a product's price is its e-commerce tariff (``Code_TarifType = 9``) valid on `today`
  (``DateDebut <= today`` and ``DateFin`` NULL or ``>= today``) that is tied to a reference tariff: a row
  of type 0 for the same product whose ``Code_Tarif`` equals the type-9 row's ``Code_TarifRef``;
  when several type-9 rows qualify, the one that started last wins (then the highest Code_Tarif);
- a variant (``TypeProd = 'V'``) of a homogeneous configurable (``TypeConfHomog = 1``) takes its parent
  configurable's price, whatever its own tariff says;
- only rows whose applied tariff was modified, or whose product was created, in the last `window_days`
  days (default 22) are returned.

The builders are pure (no I/O) so tests and the mssql compile check can enumerate them. `fetch_prices`
reads the pre-computed current tariff (current_prices.py: ranked once per date and change of the MDM);
`fetch_prices_live` runs the whole ranking per call (the reference the tests and the benchmark compare to).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, and_, case, func, literal_column, or_, select
from sqlalchemy.orm import aliased

from app.adapters import sql
from app.adapters.mdm.tables import produits, tarif
from app.adapters.sql import AnySelect
from app.errors import InvalidInput
from app.services.mdm.current_prices import (
    DEFAULT_MAX_AGE_S,
    current_price_table,
    marker_statement,
    select_prices,
)
from app.services.mdm.metrics import observed

DEFAULT_WINDOW_DAYS = 22
TYPE_REFERENCE = 0
TYPE_ECOMMERCE = 9
MAX_LIMIT = 100_000


@dataclass(frozen=True)
class PriceQuery:
    """What GET /api/mdm/prices asks for; `today` is the business date the tariffs must be valid on."""

    today: date
    window_days: int = DEFAULT_WINDOW_DAYS
    sku: str | None = None
    category: str | None = None
    limit: int | None = None
    offset: int = 0

    def __post_init__(self) -> None:
        if self.window_days < 0:
            raise InvalidInput("window_days must be >= 0.", details={"window_days": ["must be >= 0"]})
        if self.limit is not None and not 0 <= self.limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be between 0 and {MAX_LIMIT}.", details={"limit": ["out of range"]})
        if self.offset < 0:
            raise InvalidInput("offset must be >= 0.", details={"offset": ["must be >= 0"]})


@dataclass(frozen=True)
class PricePage:
    rows: list[dict[str, Any]]
    total_count: int


def current_tariffs(today: date, owners: Any = None) -> Any:
    """Subquery: per product, the type-9 tariff valid on `today` and tied to a type-0 reference (rn = 1).

    `owners` (a list or a subquery of Code_MDM) restricts the ranking to those products; the restriction
    sits inside the window so the database ranks a few rows instead of the whole Tarif table.
    """
    ecom = tarif.alias("ecom")
    ref = tarif.alias("ref")
    ranked = (
        select(
            ecom.c.Code_MDM,
            ecom.c.Tarif,
            ecom.c.DateModif,
            func.row_number().over(partition_by=ecom.c.Code_MDM,
                                   order_by=(ecom.c.DateDebut.desc(), ecom.c.Code_Tarif.desc())).label("rn"),
        )
        .join(ref, and_(ref.c.Code_MDM == ecom.c.Code_MDM,
                        ref.c.Code_Tarif == ecom.c.Code_TarifRef,
                        ref.c.Code_TarifType == TYPE_REFERENCE))
        .where(ecom.c.Code_TarifType == TYPE_ECOMMERCE,
               ecom.c.DateDebut <= today,
               or_(ecom.c.DateFin.is_(None), ecom.c.DateFin >= today))
    )
    if owners is not None:
        ranked = ranked.where(ecom.c.Code_MDM.in_(owners))
    return ranked.subquery("cur")


def _priced_products(today: date, owners: Any = None) -> tuple[AnySelect, Any, Any]:
    """The product <- applied tariff join shared by the prices query and the inventory price lookup."""
    cur = current_tariffs(today, owners)
    parent = aliased(produits, name="parent")
    inherits = and_(produits.c.TypeProd == "V", parent.c.TypeConfHomog == 1)
    price_owner = case((inherits, produits.c.Sku_Conf), else_=produits.c.Code_MDM)
    base = (
        select()
        .select_from(produits)
        .outerjoin(parent, and_(parent.c.Code_MDM == produits.c.Sku_Conf, parent.c.TypeProd == "C"))
        .join(cur, and_(cur.c.Code_MDM == price_owner, cur.c.rn == 1))
    )
    return base, cur, parent


def build_prices_query(query: PriceQuery) -> tuple[AnySelect, AnySelect]:
    """(page statement, count statement) for `query`; the page is ordered by sku so offsets are stable."""
    base, cur, _parent = _priced_products(query.today)
    cutoff = datetime.combine(query.today - timedelta(days=query.window_days), time.min)
    conditions = [or_(cur.c.DateModif >= cutoff, produits.c.DateCreation >= cutoff)]
    if query.sku:
        conditions.append(produits.c.Code_MDM == query.sku)
    if query.category:
        conditions.append(produits.c.Categorie == query.category)
    filtered = base.where(*conditions)
    # COUNT(*) OVER () gives totalCount in the same pass (the expensive part is ranking the tariffs).
    page = (filtered.add_columns(produits.c.Code_MDM.label("sku"), cur.c.Tarif.label("price"),
                                 func.count(literal_column("*")).over().label("total"))
            .order_by(produits.c.Code_MDM).offset(query.offset))
    if query.limit is not None:
        page = page.limit(query.limit)
    count = filtered.add_columns(func.count(literal_column("*")).label("n"))
    return page, count


def build_current_prices(today: date) -> AnySelect:
    """Every product's applied tariff on `today`, with what the window and the filters read."""
    base, cur, _parent = _priced_products(today)
    return base.add_columns(produits.c.Code_MDM, cur.c.Tarif, cur.c.DateModif, produits.c.DateCreation,
                            produits.c.Categorie)


def build_price_lookup(codes: list[str], today: date) -> AnySelect:
    """Current applied price of the given products, whatever their dates (the inventory grid's Tarif)."""
    # The products themselves and, for variants, their parent configurable can own the applied price.
    parents = select(produits.c.Sku_Conf).where(produits.c.Code_MDM.in_(codes), produits.c.Sku_Conf.is_not(None))
    owners = select(produits.c.Code_MDM).where(produits.c.Code_MDM.in_(codes)).union(parents)
    base, cur, _parent = _priced_products(today, owners)
    return (base.add_columns(produits.c.Code_MDM, cur.c.Tarif)
            .where(produits.c.Code_MDM.in_(codes)))


def _as_number(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def fetch_prices(engine: Engine, query: PriceQuery, *, max_age_s: float = DEFAULT_MAX_AGE_S) -> PricePage:
    """The prices query, answered from the pre-computed current tariff (rebuilt when the MDM changed, the
    date moved or it is older than `max_age_s`; 0 = always rank afresh, as the sync job does).
    The row dicts are shared with other callers: read them, don't change them.

    Raises DependencyUnavailable when the MDM database can't be reached."""
    table = current_price_table(engine, query.today, lambda: build_current_prices(query.today), max_age_s)
    cutoff = datetime.combine(query.today - timedelta(days=query.window_days), time.min)
    matched = select_prices(table, cutoff, query.category, query.sku)
    end = None if query.limit is None else query.offset + query.limit
    rows = [row.row for row in matched[query.offset:end]]  # pre-built dicts, read-only
    return PricePage(rows=rows, total_count=len(matched))


def fetch_prices_live(engine: Engine, query: PriceQuery) -> PricePage:
    """The same answer by ranking every tariff in this call (the reference for tests and the benchmark)."""
    page, count = build_prices_query(query)
    with sql.connect(engine) as conn:
        with observed("mdm.prices_live"):
            result = conn.execute(page).all()
        rows = [{"sku": sku, "price": _as_number(price)} for sku, price, _total in result]
        if result:
            total = int(result[0][2])
        elif query.offset == 0 and query.limit != 0:
            total = 0
        else:  # past the last page, or limit=0 (count only): no row carried the count
            with observed("mdm.prices_count"):
                total = int(conn.execute(count).scalar_one())
    return PricePage(rows=rows, total_count=total)


def fetch_price_map(engine: Engine, codes: list[str], today: date) -> dict[str, float | None]:
    """{Code_MDM: current price} for the given products (missing: no valid tariff)."""
    if not codes:
        return {}
    with sql.connect(engine) as conn, observed("mdm.price_lookup"):
        return {code: _as_number(price) for code, price in conn.execute(build_price_lookup(codes, today))}


def example_statements() -> dict[str, Any]:
    """Every statement this module issues, with representative parameters (for the mssql compile test)."""
    today = date(2025, 1, 15)
    page, count = build_prices_query(PriceQuery(today=today, sku="X", category="Y", limit=10, offset=5))
    return {"prices.page": page, "prices.count": count,
            "prices.lookup": build_price_lookup(["A", "B"], today),
            "prices.current": build_current_prices(today), "prices.marker": marker_statement()}
