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

`source_rows` pages every row of a source with its changed flag (a full re-push), `count_rows` counts them.

`ChangedRow.version` is DateDernierMaJ, rewritten by every MERGE that changes the row. `acknowledge` sets
changed=0 and syncedDate only where the row still has changed=1 and the same QteStock and version as the
row that was sent, so a row that changed again while it was being pushed stays changed for the next run
(the original's lost-update defect). Rows acknowledged out of date are counted as `stale`.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, partial
from typing import Any, NamedTuple

from sqlalchemy import (
    Boolean,
    Engine,
    Integer,
    String,
    Update,
    and_,
    bindparam,
    case,
    column,
    exists,
    false,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    text,
    true,
    update,
    values,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError

from app.adapters import sql
from app.adapters.mdm.tables import Timestamp, approvisionnement, stock_changes
from app.adapters.sql import AnySelect
from app.services.mdm.metrics import observed

sc, ap = stock_changes, approvisionnement
# SQLite takes one writer at a time, and a writer that finds the lock taken polls it with sleeps of up to
# 100 ms (its busy handler): the push's parallel batches queue here instead, woken as soon as it is free.
_SQLITE_WRITER = threading.Lock()
# Rows per acknowledge statement: 4 binds each stays under SQL Server's 2,100 parameters per statement.
ACK_CHUNK = 500
ACK_BUCKET = 100  # statement shapes: row counts rounded up to a multiple (see ack_shape)
MAX_CHANGED_PAGE = 5_000


@dataclass(frozen=True)
class MergeResult:
    inserted: int
    updated: int
    unchanged: int

    def as_dict(self) -> dict[str, int]:
        return {"inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged}


class ChangedRow(NamedTuple):
    """A StockChanges row to push; (qte_stock, version) is what `acknowledge` checks before clearing it.
    A tuple, not a dataclass: the sync engine builds one per row, and a tuple costs a third of the time."""

    code_mdm: str
    code_source: int
    source: str | None
    qte_stock: int | None
    version: datetime | None


# A row of the 5-column select as a ChangedRow: half the cost of ChangedRow._make (no length check).
_changed_row = partial(tuple.__new__, ChangedRow)


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


def build_changed_rows(source_code: int, after: str | None, limit: int, *, every: bool = False) -> AnySelect:
    """Keyset page of a source's changed rows; `every`: all its rows, with the changed flag as a 6th column."""
    stmt = (select(sc.c.Code_MDM, sc.c.Code_Source, sc.c.Source, sc.c.QteStock, sc.c.DateDernierMaJ,
                   *((sc.c.changed,) if every else ()))
            .where(sc.c.Code_Source == source_code).order_by(sc.c.Code_MDM).limit(limit))
    if not every:
        stmt = stmt.where(sc.c.changed == true())
    if after is not None:
        stmt = stmt.where(sc.c.Code_MDM > after)
    return stmt


def build_count_rows(source_code: int, *, every: bool = False) -> AnySelect:
    stmt = select(func.count()).select_from(sc).where(sc.c.Code_Source == source_code)
    return stmt if every else stmt.where(sc.c.changed == true())


def changed_rows(engine: Engine, source_code: int, *, after: str | None = None,
                 limit: int = 300) -> list[ChangedRow]:
    """Rows of `source_code` with changed=1, ordered by Code_MDM, strictly after `after` (keyset paging).

    Raises ValueError for a limit outside 1..5000, DependencyUnavailable when the database is down.
    """
    return list(map(_changed_row, _page(engine, source_code, after, limit, every=False)))


def source_rows(engine: Engine, source_code: int, *, after: str | None = None,
                limit: int = 300) -> list[tuple[ChangedRow, bool]]:
    """Every row of `source_code` (a full re-push), paged like `changed_rows`, each with its changed flag:
    only changed rows may be acknowledged. Raises like `changed_rows`."""
    return [(_changed_row(r[:5]), bool(r[5])) for r in _page(engine, source_code, after, limit, every=True)]


def count_rows(engine: Engine, source_code: int, *, every: bool = False) -> int:
    """How many rows of `source_code` are changed (or exist, with `every`); DependencyUnavailable when down."""
    with sql.connect(engine) as conn, observed("mdm.count_rows"):
        return int(conn.execute(build_count_rows(source_code, every=every)).scalar_one())


def _page(engine: Engine, source_code: int, after: str | None, limit: int, every: bool) -> Any:
    if not 1 <= limit <= MAX_CHANGED_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_CHANGED_PAGE}")
    with sql.connect(engine) as conn, observed("mdm.source_rows" if every else "mdm.changed_rows"):
        return conn.execute(build_changed_rows(source_code, after, limit, every=every)).all()


ACK_COLUMNS: tuple[tuple[str, Any], ...] = (("mdm", String(32)), ("src", Integer()), ("qty", Integer()),
                                            ("ver", Timestamp))
ACK_KEYS = tuple(tuple(f"{name}{i}" for name, _type in ACK_COLUMNS) for i in range(ACK_CHUNK))


def ack_shape(count: int) -> int:
    """The row count a statement is built for: `count` rounded up to a multiple of ACK_BUCKET, so five shapes
    serve every batch size. Building and compiling a shape costs 20-60 ms (a one-off per process and
    dialect); padding a batch with up to 99 repeated rows costs far less than that."""
    return min(ACK_CHUNK, -(-count // ACK_BUCKET) * ACK_BUCKET)


def _acked_rows(dialect: str, count: int) -> Any:
    """The sent rows as a derived table ``acked(mdm, src, qty, ver)`` bound as mdm0, src0, qty0, ver0, ...

    PostgreSQL and SQL Server take ``(VALUES ...) AS acked (mdm, src, qty, ver)`` (typed binds: PostgreSQL
    casts each one, so an all-NULL column still compares with a timestamp). SQLite has no column list on a
    derived table, so its VALUES columns (column1..4) are renamed by a SELECT; MariaDB names a VALUES
    table's columns after its first row, so it gets a UNION ALL of SELECTs (it compares the DATETIME(6)
    column with the bound string as a datetime)."""
    binds: list[tuple[Any, ...]] = [
        tuple(bindparam(key, type_=type_) for key, (_name, type_) in zip(keys, ACK_COLUMNS, strict=True))
        for keys in ACK_KEYS[:count]]
    columns = [column(name, type_) for name, type_ in ACK_COLUMNS]
    if dialect == "sqlite":
        rows = ", ".join(f"(:{m}, :{s}, :{q}, :{v})" for m, s, q, v in ACK_KEYS[:count])
        body = f"SELECT column1 AS mdm, column2 AS src, column3 AS qty, column4 AS ver FROM (VALUES {rows})"
    elif dialect in ("mysql", "mariadb"):
        first = "SELECT :{} AS mdm, :{} AS src, :{} AS qty, :{} AS ver".format(*ACK_KEYS[0])
        body = " UNION ALL ".join([first, *("SELECT :{}, :{}, :{}, :{}".format(*keys)
                                            for keys in ACK_KEYS[1:count])])
    else:
        return values(*columns, name="acked").data(binds)
    return text(body).bindparams(*(b for row in binds for b in row)).columns(*columns).subquery("acked")


@lru_cache(maxsize=4 * (ACK_CHUNK // ACK_BUCKET))
def build_acknowledge(dialect: str, count: int) -> Update:
    """One UPDATE that clears changed=1 on up to `count` sent rows whose quantity and version are still the
    ones sent (NULL-safe); bind mdm<i>, src<i>, qty<i>, ver<i> for i < count, and `synced`."""
    acked = _acked_rows(dialect, count)
    return (update(sc)
            .where(sc.c.Code_MDM == acked.c.mdm, sc.c.Code_Source == acked.c.src, sc.c.changed == true(),
                   _same(sc.c.QteStock, acked.c.qty), _same(sc.c.DateDernierMaJ, acked.c.ver))
            .values(changed=false(), syncedDate=bindparam("synced", type_=Timestamp)))


def _same(a: Any, b: Any) -> Any:
    """NULL-safe "a equals b" (the negation of `_distinct`), spelled for every dialect."""
    return or_(a == b, and_(a.is_(None), b.is_(None)))


def acknowledge(engine: Engine, rows: Iterable[ChangedRow], *, synced_at: datetime | None = None) -> AckResult:
    """Clear changed=1 on exactly the rows (and versions) that were pushed, one statement per ACK_CHUNK
    rows; see the module docstring. Raises DependencyUnavailable when the database can't be reached."""
    sent = rows if isinstance(rows, list) else list(rows)
    if not sent:
        return AckResult(acknowledged=0, stale=0)
    stamp = synced_at or datetime.now()
    done = 0
    writer = _SQLITE_WRITER if engine.dialect.name == "sqlite" else nullcontext()
    with writer, sql.begin(engine) as conn, observed("mdm.acknowledge"):
        schema_map = conn.get_execution_options().get("schema_translate_map") or {}
        for start in range(0, len(sent), ACK_CHUNK):
            part = sent[start:start + ACK_CHUNK]
            shape = ack_shape(len(part))
            stmt = _driver_acknowledge(conn.dialect, tuple(schema_map.items()), shape)
            # Padding repeats the last row: a target row joined twice is still updated (and counted) once.
            done += _rowcount(conn.exec_driver_sql(stmt.sql, stmt.parameters(part + [part[-1]] * (shape - len(part)),
                                                                              stamp)))
    return AckResult(acknowledged=done, stale=len(sent) - done)


@dataclass(frozen=True)
class _DriverStatement:
    """`build_acknowledge` compiled once for a dialect and schema map, executed as driver SQL.

    Why: SQLAlchemy checks, looks up and processes every bound parameter of every execution, and hashes the
    statement's cache key; for 4 binds per row that cost more CPU than the UPDATE itself (profile in
    docs/benchmarks.md). Here the values go to the driver as they are, except through the bind processors
    the dialect has for the four column types (SQLite's DATETIME text format), resolved once."""

    sql: str
    positions: tuple[str, ...] | None  # bind names in placeholder order; None: the driver takes a mapping
    processors: tuple[Any, ...]  # per ACK_COLUMNS entry: the dialect's bind processor, or None

    def parameters(self, rows: list[ChangedRow], synced_at: datetime) -> Any:
        params: dict[str, Any] = {"synced": synced_at}
        for (m, s, q, v), row in zip(ACK_KEYS, rows, strict=False):  # ACK_KEYS is ACK_CHUNK long
            params[m], params[s], params[q], params[v] = row[0], row[1], row[3], row[4]
        for index, process in enumerate(self.processors):
            if process is not None:
                for keys in ACK_KEYS[:len(rows)]:
                    params[keys[index]] = process(params[keys[index]])
                if index == 3:
                    params["synced"] = process(synced_at)
        return params if self.positions is None else tuple(params[name] for name in self.positions)


@lru_cache(maxsize=64)
def _driver_acknowledge(dialect: Dialect, schema_map: tuple[tuple[str | None, str | None], ...],
                        count: int) -> _DriverStatement:
    compiled = build_acknowledge(dialect.name, count).compile(
        dialect=dialect, schema_translate_map=dict(schema_map) or None, render_schema_translate=bool(schema_map))
    positions = tuple(compiled.positiontup or ()) if compiled.positional else None
    processors = tuple(type_.dialect_impl(dialect).bind_processor(dialect) for _name, type_ in ACK_COLUMNS)
    return _DriverStatement(compiled.string, positions, processors)


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
    stmts["stock.source_rows"] = build_changed_rows(3, "A", 300, every=True)
    stmts["stock.count_changed"] = build_count_rows(3)
    stmts["stock.count_all"] = build_count_rows(3, every=True)
    for count in (ack_shape(1), ack_shape(ACK_CHUNK)):
        stmts[f"stock.acknowledge_{count}"] = build_acknowledge("mssql", count)
    return stmts


