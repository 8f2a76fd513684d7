"""The inventory grid: StockChanges rows with their product's descriptive columns, filtered, sorted, paged.

`build_inventory_query` turns a validated `InventoryQuery` (see inventory_params) into a page statement and
a count statement; every value is a bound parameter and every column comes from the `columns_for` map, so
nothing from the request is ever spliced into SQL. Ordering always ends with the unique key
(Code_MDM, Code_Source), which keeps pages disjoint even when thousands of rows share a sort value.
The Succursale column is not in the MDM tables: it comes from the store mapping (sources.json).

Conditions on product columns (Code_JDE, Libelle, Categorie, TypeProd, Marque) are written as
``StockChanges.Code_MDM IN (SELECT Code_MDM FROM Produits_ECommerce WHERE ...)``: the database filters the
small product table once and reaches stock rows through the primary key, and the count statement needs no
join at all. Consequently a stock row whose product is missing from Produits_ECommerce only matches
conditions on StockChanges columns. The free-text `search` matches Code_MDM, Code_JDE and Libelle through
the products, and store names through the store mapping.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    and_,
    case,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
)

from app.adapters import sql
from app.adapters.mdm.tables import produits, stock_changes
from app.adapters.sql import AnySelect
from app.errors import InvalidInput
from app.services.mdm.inventory_params import SEARCH_FIELDS, Condition, InventoryQuery
from app.services.mdm.metrics import observed
from app.services.mdm.prices import fetch_price_map
from app.services.mdm.sources import StoreSource, succursale_by_code

sc, p = stock_changes, produits
_PRODUCT_FIELDS = frozenset({"Code_JDE", "TypeProd", "Libelle", "Categorie", "Marque"})
_COLUMNS: dict[str, ColumnElement[Any]] = {
    "Code_MDM": sc.c.Code_MDM, "Code_Source": sc.c.Code_Source, "Source": sc.c.Source,
    "QteStock": sc.c.QteStock, "DateDernierMaJ": sc.c.DateDernierMaJ, "changed": sc.c.changed,
    "syncedDate": sc.c.syncedDate, "Code_JDE": p.c.Code_JDE, "TypeProd": p.c.TypeProd,
    "Libelle": p.c.Libelle, "Categorie": p.c.Categorie, "Marque": p.c.Marque,
}


@dataclass(frozen=True)
class InventoryPage:
    rows: list[dict[str, Any]]
    total_count: int
    page: int
    page_size: int


def _succursale_expr(stores: tuple[StoreSource, ...]) -> ColumnElement[Any]:
    mapping = succursale_by_code(stores)
    if not mapping:
        return literal_column("NULL")
    return case(mapping, value=sc.c.Code_Source, else_=None)


def _column(name: str, stores: tuple[StoreSource, ...]) -> ColumnElement[Any]:
    if name == "Succursale":
        return _succursale_expr(stores)
    try:
        return _COLUMNS[name]
    except KeyError:  # parse_inventory_params already rejects these; keep the builder safe on its own
        raise InvalidInput(f"Unknown field {name[:50]!r}.") from None


def _codes_for(values: Any, stores: tuple[StoreSource, ...]) -> list[int]:
    wanted = {str(v) for v in (values if isinstance(values, tuple) else (values,))}
    return [int(s.code_source) for s in stores if s.succursale in wanted]


def _search(value: str, stores: tuple[StoreSource, ...]) -> ColumnElement[bool]:
    matching = select(p.c.Code_MDM).where(or_(*(p.c[f].icontains(value, autoescape=True) for f in SEARCH_FIELDS)))
    needle = value.lower()
    store_codes = [int(s.code_source) for s in stores if needle in s.source.lower()]
    clauses = [sc.c.Code_MDM.in_(matching)]
    if store_codes:
        clauses.append(sc.c.Code_Source.in_(store_codes))
    return or_(*clauses)


def _predicate(cond: Condition, stores: tuple[StoreSource, ...]) -> ColumnElement[bool]:
    if cond.op == "search":
        return _search(cond.value, stores)
    if cond.field == "Succursale":  # a branch is a set of Code_Source values
        codes = _codes_for(cond.value, stores)
        matched = sc.c.Code_Source.in_(codes) if codes else false()
        return not_(matched) if cond.op in ("neq", "nin") else matched
    if cond.field in _PRODUCT_FIELDS:
        return sc.c.Code_MDM.in_(select(p.c.Code_MDM).where(_compare(_COLUMNS[cond.field], cond.op, cond.value)))
    return _compare(_column(cond.field, stores), cond.op, cond.value)


def _compare(col: ColumnElement[Any], op: str, value: Any) -> ColumnElement[bool]:
    other: object = value  # not Any: an Any operand would make mypy type the comparisons below as Any
    if op == "eq":
        return col == other
    if op == "neq":
        return or_(col != other, col.is_(None))
    if op == "contains":
        return col.icontains(value, autoescape=True)
    if op == "like":  # Magento semantics: the caller's % wildcards are kept, the value is still bound
        return col.ilike(value)
    if op == "nlike":
        return or_(not_(col.ilike(value)), col.is_(None))
    if op == "in":
        return col.in_(list(value))
    if op == "nin":
        return or_(col.not_in(list(value)), col.is_(None))
    if op in ("gt",):
        return col > other
    if op in ("gteq", "from"):
        return col >= other
    if op == "lt":
        return col < other
    if op in ("lteq", "to"):
        return col <= other
    if op == "null":
        return col.is_(None)
    if op == "notnull":
        return col.is_not(None)
    raise InvalidInput(f"Unknown condition {op[:20]!r}.")


def build_inventory_query(query: InventoryQuery, stores: tuple[StoreSource, ...]) -> tuple[AnySelect, AnySelect]:
    """(page statement, count statement) for a validated query."""
    joined = sc.outerjoin(p, p.c.Code_MDM == sc.c.Code_MDM)
    where = [or_(*(_predicate(c, stores) for c in group)) if len(group) > 1 else _predicate(group[0], stores)
             for group in query.groups if group]
    order: list[Any] = []
    for name, descending in query.sort:
        col = _column(name, stores)
        order.append(col.desc() if descending else col.asc())
    # Unique tie-breaker so pages never overlap; it runs in the direction of the last sort key so an index
    # on (filter, sort column, key) can be walked in one direction.
    last_desc = bool(query.sort) and query.sort[-1][1]
    order += [sc.c.Code_MDM.desc(), sc.c.Code_Source.desc()] if last_desc else \
        [sc.c.Code_MDM.asc(), sc.c.Code_Source.asc()]
    page = (select(sc.c.Code_MDM, sc.c.Code_Source, sc.c.Source, sc.c.QteStock, sc.c.DateDernierMaJ,
                   sc.c.changed, sc.c.syncedDate, p.c.Code_JDE, p.c.TypeProd, p.c.Libelle, p.c.Categorie,
                   p.c.Marque)
            .select_from(joined).where(and_(true(), *where)).order_by(*order)
            .limit(query.page_size).offset(query.page * query.page_size))
    count = select(func.count(literal_column("*"))).select_from(sc).where(and_(true(), *where))
    return page, count


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


def fetch_inventory(engine: Engine, query: InventoryQuery, stores: tuple[StoreSource, ...], *,
                    today: date) -> InventoryPage:
    """Run one grid page: rows keyed like the original's, plus totalCount. Raises DependencyUnavailable."""
    page_stmt, count_stmt = build_inventory_query(query, stores)
    succursales = succursale_by_code(stores)
    with sql.connect(engine) as conn:
        with observed("mdm.inventory_page"):
            records = conn.execute(page_stmt).mappings().all()
        if query.page == 0 and len(records) < query.page_size:
            total = len(records)
        else:
            with observed("mdm.inventory_count"):
                total = int(conn.execute(count_stmt).scalar_one())
    prices = fetch_price_map(engine, sorted({r["Code_MDM"] for r in records}), today)
    rows = [{
        "Code_MDM": r["Code_MDM"], "Code_JDE": r["Code_JDE"], "TypeProd": r["TypeProd"],
        "Libelle": r["Libelle"], "Categorie": r["Categorie"], "Marque": r["Marque"],
        "Code_Source": r["Code_Source"], "Source": r["Source"],
        "Succursale": succursales.get(r["Code_Source"]),
        "QteStock": r["QteStock"], "Tarif": prices.get(r["Code_MDM"]),
        "DateDernierMaJ": _iso(r["DateDernierMaJ"]), "changed": int(bool(r["changed"])),
        "syncedDate": _iso(r["syncedDate"]),
    } for r in records]
    return InventoryPage(rows=rows, total_count=total, page=query.page, page_size=query.page_size)


def example_statements(stores: tuple[StoreSource, ...]) -> dict[str, Any]:
    """Representative statements covering every condition and sort (for the mssql compile test)."""
    from app.services.mdm.inventory_params import CONDITIONS, parse_inventory_params

    conds = []
    for op in sorted(CONDITIONS):
        value = {"in": ("A", "B"), "nin": ("A",)}.get(op, "A%")
        conds += [Condition("Code_MDM", op, value), Condition("Libelle", op, value)]
    conds += [Condition("Succursale", "eq", "101"), Condition("Succursale", "nin", ("101", "102")),
              Condition("*", "search", "x"), Condition("Libelle", "contains", "50%_off")]
    query = InventoryQuery(page=3, page_size=25, sort=(("Succursale", True), ("QteStock", False)),
                           groups=(tuple(conds),))
    page, count = build_inventory_query(query, stores)
    grid = parse_inventory_params({"sourceCode": "3", "showChangedOnly": "true", "sortField": "DateDernierMaJ",
                                   "sortOrder": "desc", "dateMin": "2025-01-01", "dateMax": "2025-02-01"})
    grid_page, grid_count = build_inventory_query(grid, stores)
    return {"inventory.page": page, "inventory.count": count,
            "inventory.grid_page": grid_page, "inventory.grid_count": grid_count}
