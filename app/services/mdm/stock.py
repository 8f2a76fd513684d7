"""Stock state in EComm.StockChanges: the MERGE from stock movements, and the API the sync engine uses.

MERGE (`merge_stock_changes`): the latest movement per (Code_MDM, Code_Source) in
EComm.ApprovisionnementProduits -- latest by DateMouvement, then Id -- is compared NULL-safely with the
StockChanges row of the same key: a different quantity updates QteStock and DateDernierMaJ and sets
changed=1; a missing row is inserted with changed=1; nothing is deleted. It runs as one portable
UPDATE ... FROM (latest) plus one INSERT ... SELECT ... WHERE NOT EXISTS, which SQLAlchemy renders natively
on SQLite, PostgreSQL, MariaDB and SQL Server, so no dialect-specific path is needed. The key is
(Code_MDM, Code_Source): Source is the store's display name, a function of Code_Source, so matching on it
too would only duplicate rows when a store is renamed.

Sync-engine API (the stock push to Magento):

    page = changed_rows(engine, source_code=3, after=None, limit=300)   # list[ChangedRow], keyset-paged
    while page:
        ... push page to Magento, keep the rows Magento accepted ...
        acknowledge(engine, accepted_rows)                              # AckResult(acknowledged, stale)
        page = changed_rows(engine, source_code=3, after=page[-1].code_mdm, limit=300)

`ChangedRow.version` is DateDernierMaJ, rewritten by every MERGE that changes the row. `acknowledge` sets
changed=0 and syncedDate only where the row still has changed=1 and the same QteStock and version as the
row that was sent, so a row that changed again while it was being pushed stays changed for the next run
(the original's lost-update defect). Rows acknowledged out of date are counted as `stale`.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Engine,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError

from app.adapters import sql
from app.adapters.mdm.tables import Timestamp, approvisionnement, stock_changes
from app.adapters.sql import AnySelect
from app.services.mdm.metrics import observed

sc, ap = stock_changes, approvisionnement
ACK_CHUNK = 500
MAX_CHANGED_PAGE = 5_000


@dataclass(frozen=True)
class MergeResult:
    inserted: int
    updated: int
    unchanged: int

    def as_dict(self) -> dict[str, int]:
        return {"inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged}


@dataclass(frozen=True)
class ChangedRow:
    """A StockChanges row to push; (qte_stock, version) is what `acknowledge` checks before clearing it."""

    code_mdm: str
    code_source: int
    source: str | None
    qte_stock: int | None
    version: datetime | None


@dataclass(frozen=True)
class AckResult:
    acknowledged: int
    stale: int


def _distinct(a: Any, b: Any) -> Any:
    """NULL-safe "a differs from b", spelled so every dialect (incl. SQL Server < 2022) accepts it."""
    return or_(and_(a.is_(None), b.is_not(None)), and_(a.is_not(None), b.is_(None)), a != b)


def latest_movements(source_code: int | None) -> Any:
    """Subquery: the latest movement per (Code_MDM, Code_Source), optionally for one source."""
    ranked = select(
        ap.c.Code_MDM, ap.c.Code_Source, ap.c.Source, ap.c.QteStock,
        func.row_number().over(partition_by=(ap.c.Code_MDM, ap.c.Code_Source),
                               order_by=(ap.c.DateMouvement.desc(), ap.c.Id.desc())).label("rn"),
    )
    if source_code is not None:
        ranked = ranked.where(ap.c.Code_Source == source_code)
    rows = ranked.subquery("ranked")
    return (select(rows.c.Code_MDM, rows.c.Code_Source, rows.c.Source, rows.c.QteStock)
            .where(rows.c.rn == 1).subquery("latest"))


def build_merge(source_code: int | None, now: datetime) -> tuple[AnySelect, Any, Any]:
    """(counts statement, update statement, insert statement) for one MERGE run."""
    latest = latest_movements(source_code)
    same_key = and_(sc.c.Code_MDM == latest.c.Code_MDM, sc.c.Code_Source == latest.c.Code_Source)
    differs = _distinct(sc.c.QteStock, latest.c.QteStock)
    counts = (select(
        func.count().label("total"),
        func.coalesce(func.sum(case((sc.c.Code_MDM.is_(None), 1), else_=0)), 0).label("new"),
        func.coalesce(func.sum(case((and_(sc.c.Code_MDM.is_not(None), differs), 1), else_=0)), 0).label("diff"),
    ).select_from(latest.outerjoin(sc, same_key)))
    upd = (update(sc).where(same_key, differs)
           .values(QteStock=latest.c.QteStock, DateDernierMaJ=now, changed=True))
    ins = insert(sc).from_select(
        ["Code_MDM", "Code_Source", "Source", "QteStock", "DateDernierMaJ", "changed"],
        select(latest.c.Code_MDM, latest.c.Code_Source, latest.c.Source, latest.c.QteStock,
               literal(now, Timestamp), literal(True, Boolean))
        .where(not_(exists().where(same_key))),
    )
    return counts, upd, ins


def merge_stock_changes(engine: Engine, source_code: int | None = None, *,
                        now: datetime | None = None) -> MergeResult:
    """Run the MERGE for one source (or all when None) in one transaction.

    Raises DependencyUnavailable when the database can't be reached or times out.
    """
    for attempt in (1, 2):
        stamp = now or datetime.now()
        counts, upd, ins = build_merge(source_code, stamp)
        try:
            with sql.begin(engine) as conn, observed("mdm.stock_merge"):
                total, new, diff = conn.execute(counts).one()
                conn.execute(upd)
                conn.execute(ins)
            return MergeResult(inserted=int(new), updated=int(diff), unchanged=int(total - new - diff))
        except IntegrityError:
            # A concurrent MERGE inserted the same new keys first; the second pass sees them as existing.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def build_changed_rows(source_code: int, after: str | None, limit: int) -> AnySelect:
    stmt = (select(sc.c.Code_MDM, sc.c.Code_Source, sc.c.Source, sc.c.QteStock, sc.c.DateDernierMaJ)
            .where(sc.c.changed == true(), sc.c.Code_Source == source_code)
            .order_by(sc.c.Code_MDM).limit(limit))
    if after is not None:
        stmt = stmt.where(sc.c.Code_MDM > after)
    return stmt


def changed_rows(engine: Engine, source_code: int, *, after: str | None = None,
                 limit: int = 300) -> list[ChangedRow]:
    """Rows of `source_code` with changed=1, ordered by Code_MDM, strictly after `after` (keyset paging).

    Raises ValueError for a limit outside 1..5000, DependencyUnavailable when the database is down.
    """
    if not 1 <= limit <= MAX_CHANGED_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_CHANGED_PAGE}")
    with sql.connect(engine) as conn, observed("mdm.changed_rows"):
        result = conn.execute(build_changed_rows(source_code, after, limit))
        return [ChangedRow(code_mdm=r[0], code_source=int(r[1]), source=r[2], qte_stock=r[3], version=r[4])
                for r in result]


def build_acknowledge(qty_is_null: bool, version_is_null: bool) -> Any:
    """UPDATE for executemany; bind b_mdm, b_src, b_qty, b_version, b_synced."""
    qty = sc.c.QteStock.is_(None) if qty_is_null else sc.c.QteStock == bindparam("b_qty")
    version = sc.c.DateDernierMaJ.is_(None) if version_is_null else \
        sc.c.DateDernierMaJ == bindparam("b_version", type_=Timestamp)
    return (update(sc)
            .where(sc.c.Code_MDM == bindparam("b_mdm"), sc.c.Code_Source == bindparam("b_src"),
                   sc.c.changed == true(), qty, version)
            .values(changed=False, syncedDate=bindparam("b_synced", type_=Timestamp)))


def acknowledge(engine: Engine, rows: Iterable[ChangedRow], *, synced_at: datetime | None = None) -> AckResult:
    """Clear changed=1 on exactly the rows (and versions) that were pushed; see the module docstring.

    Raises DependencyUnavailable when the database can't be reached.
    """
    stamp = synced_at or datetime.now()
    groups: dict[tuple[bool, bool], list[dict[str, Any]]] = {}
    sent = 0
    for row in rows:
        sent += 1
        groups.setdefault((row.qte_stock is None, row.version is None), []).append(
            {"b_mdm": row.code_mdm, "b_src": row.code_source, "b_qty": row.qte_stock,
             "b_version": row.version, "b_synced": stamp})
    done = 0
    with sql.begin(engine) as conn, observed("mdm.acknowledge"):
        for (qty_null, version_null), params in groups.items():
            stmt = build_acknowledge(qty_null, version_null)
            for start in range(0, len(params), ACK_CHUNK):
                done += _rowcount(conn.execute(stmt, params[start:start + ACK_CHUNK]))
    return AckResult(acknowledged=done, stale=sent - done)


def _rowcount(result: Any) -> int:
    return max(0, int(result.rowcount))


def example_statements() -> dict[str, Any]:
    """Every statement this module issues (for the mssql compile test)."""
    now = datetime(2025, 1, 15, 12, 0, 0, 123456)
    stmts: dict[str, Any] = {"stock.latest_all": select(latest_movements(None))}
    for label, source in (("one", 3), ("all", None)):
        counts, upd, ins = build_merge(source, now)
        stmts.update({f"stock.merge_counts_{label}": counts, f"stock.merge_update_{label}": upd,
                      f"stock.merge_insert_{label}": ins})
    stmts["stock.changed_rows"] = build_changed_rows(3, "A", 300)
    stmts["stock.changed_rows_first"] = build_changed_rows(3, None, 300)
    for qn in (False, True):
        for vn in (False, True):
            stmts[f"stock.acknowledge_{int(qn)}{int(vn)}"] = build_acknowledge(qn, vn)
    return stmts


