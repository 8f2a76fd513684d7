"""SQL engines for every database the project talks to, and the one place driver errors become typed errors.

`create_engine_for` builds a pooled, pre-pinged engine for any SQLAlchemy URL with a connect timeout and a
statement timeout applied the way each dialect understands them:

- sqlite: busy timeout (``timeout``), WAL journal, file and directory created on demand, and a progress
  handler that interrupts a statement running past the statement timeout (SQLite has no server-side one);
- postgresql (psycopg): ``connect_timeout`` and ``options=-c statement_timeout=<ms>``;
- mysql/mariadb (pymysql): ``connect_timeout`` and ``read_timeout``/``write_timeout``;
- mssql (pyodbc): login ``timeout`` and the connection's query ``timeout`` attribute.

`connect` / `begin` wrap `Engine.connect` / `Engine.begin` so that "the database is unreachable, timed out
or dropped the connection" always surfaces as `DependencyUnavailable` (HTTP 503). Programming errors
(bad SQL, constraint violations) are bugs and keep their own exception types.

A table that does not exist (a database nobody created the schema in) is `SchemaMissing` (HTTP 503 with
the fix that `install_schema_fix(app, name, fix)` registered for the engine), whatever the dialect says.

`install_guard(app, name, guard)` is the one hook for circuit breakers (app/services/resilience): every
`connect` / `begin` on an engine named `name` runs inside `guard()`, which sees the translated errors.
The guard is looked up in the current app, so engines built before or after it was installed, and apps
built side by side in tests, each get their own.
"""
from __future__ import annotations

import logging
import math
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, CursorResult, Engine, Select, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from app.errors import DependencyUnavailable, SchemaMissing
from config.budgets import POOL_OVERFLOW_FACTOR

if TYPE_CHECKING:
    from flask import Flask

SqlGuard = Callable[[], AbstractContextManager[object]]
# A SELECT of any column shape: the Core tables declare no Python types, so callers read rows by name/position.
AnySelect = Select[*tuple[Any, ...]]
GUARDS_KEY = "sql_guards"
SCHEMA_FIXES_KEY = "sql_schema_fixes"
# How each dialect says "no such table" (SQLite, PostgreSQL, MariaDB/MySQL, SQL Server).
_MISSING_TABLE = re.compile(r"no such table: ([\w.\"]+)|relation \"([^\"]+)\" does not exist"
                            r"|table '([^']+)' doesn't exist|invalid object name '([^']+)'", re.I)

log = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT = 2.0
DEFAULT_STATEMENT_TIMEOUT = 15.0
DEFAULT_POOL_SIZE = 5
POOL_RECYCLE_SECONDS = 1800  # below the usual server/firewall idle cut-offs


def create_engine_for(url: str, *, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
                      statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT,
                      pool_size: int = DEFAULT_POOL_SIZE, name: str = "database") -> Engine:
    """Create the engine for `url`; `name` labels errors, logs and health checks (e.g. "mdm")."""
    sa_url = make_url(url)
    backend = sa_url.get_backend_name()
    connect_args: dict[str, Any] = {}
    kwargs: dict[str, Any] = {
        "pool_pre_ping": True,
        "logging_name": name,
        "future": True,
    }
    if backend == "sqlite":
        database = sa_url.database or ""
        in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
        # check_same_thread off: the pool hands a connection to one thread at a time anyway.
        connect_args.update(timeout=statement_timeout, check_same_thread=False)
        if in_memory:
            kwargs["poolclass"] = StaticPool  # one shared connection, or each checkout sees an empty db
        else:
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
            kwargs.update(pool_size=pool_size, max_overflow=pool_size * POOL_OVERFLOW_FACTOR,
                          pool_timeout=connect_timeout)
    else:
        # Capacity = config.budgets.pool_capacity: the MDM bulkhead is sized from it (never tighter).
        kwargs.update(pool_size=pool_size, max_overflow=pool_size * POOL_OVERFLOW_FACTOR, pool_timeout=connect_timeout,
                      pool_recycle=POOL_RECYCLE_SECONDS)
        if backend == "postgresql":
            # libpq takes whole seconds; 0 would mean "wait forever".
            connect_args["connect_timeout"] = max(1, math.ceil(connect_timeout))
            connect_args["options"] = f"-c statement_timeout={int(statement_timeout * 1000)}"
        elif backend in ("mysql", "mariadb"):
            connect_args["connect_timeout"] = max(1, math.ceil(connect_timeout))
            connect_args["read_timeout"] = max(1, math.ceil(statement_timeout))
            connect_args["write_timeout"] = max(1, math.ceil(statement_timeout))
        elif backend == "mssql":
            connect_args["timeout"] = max(1, math.ceil(connect_timeout))
    engine = create_engine(sa_url, connect_args=connect_args, **kwargs)
    if backend == "sqlite":
        _configure_sqlite(engine, statement_timeout, in_memory)
    elif backend == "mssql":
        _configure_mssql(engine, statement_timeout)
    return engine


def _configure_sqlite(engine: Engine, statement_timeout: float, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
        cur = dbapi_conn.cursor()
        if not in_memory:
            cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer (merge vs. grid)
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(statement_timeout * 1000)}")
        cur.close()
        deadline: list[float] = [math.inf]
        record.info["sqlite_deadline"] = deadline  # armed/disarmed by the cursor hooks below
        # Called every N VM steps; returning non-zero aborts the statement with "interrupted".
        dbapi_conn.set_progress_handler(lambda: int(time.monotonic() > deadline[0]), 10_000)

    @event.listens_for(engine, "before_cursor_execute")
    def _arm(conn: Connection, cursor: DBAPICursor, *_args: object) -> None:
        deadline = conn.connection.info.get("sqlite_deadline")
        if deadline is not None:
            deadline[0] = time.monotonic() + statement_timeout

    @event.listens_for(engine, "after_cursor_execute")
    def _disarm(conn: Connection, cursor: DBAPICursor, *_args: object) -> None:
        deadline = conn.connection.info.get("sqlite_deadline")
        if deadline is not None:
            deadline[0] = math.inf


def _configure_mssql(engine: Engine, statement_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:  # a pyodbc.Connection (untyped driver)
        dbapi_conn.timeout = max(1, math.ceil(statement_timeout))  # pyodbc per-query timeout


def _is_unavailable(err: BaseException) -> bool:
    """True when the error means "the database can't serve us now" rather than "our SQL is wrong"."""
    if isinstance(err, exc.TimeoutError):  # pool exhausted for pool_timeout seconds
        return True
    if isinstance(err, exc.DBAPIError):
        if err.connection_invalidated:
            return True
        if isinstance(err, (exc.OperationalError, exc.InterfaceError)):
            text = str(err.orig).lower()
            # SQLite reports a few real bugs as OperationalError ("no such table"): keep those as bugs.
            return not any(marker in text for marker in ("no such table", "no such column", "syntax error"))
    return False


def missing_table(err: BaseException) -> str | None:
    """The table a driver error says does not exist (without its schema), or None."""
    if not isinstance(err, exc.DBAPIError):
        return None
    match = _MISSING_TABLE.search(str(err.orig))
    if not match:
        return None
    return next(g for g in match.groups() if g).replace('"', "").rsplit(".", 1)[-1]


def _schema_fix(name: str) -> str:
    from flask import current_app, has_app_context

    fixes: dict[str, str] = current_app.extensions.get(SCHEMA_FIXES_KEY, {}) if has_app_context() else {}
    return fixes.get(name, "create its tables.")


@contextmanager
def translate_errors(engine: Engine) -> Iterator[None]:
    """Turn connectivity/timeout failures raised inside the block into `DependencyUnavailable`, and a
    missing table into `SchemaMissing`."""
    try:
        yield
    except (exc.DBAPIError, exc.TimeoutError) as err:
        name = engine.logging_name or "database"
        table = missing_table(err)
        if table is not None:
            log.warning("database %s has no table %s", name, table, extra={"dependency": name, "table": table})
            raise SchemaMissing(name, table, _schema_fix(name)) from err
        if not _is_unavailable(err):
            raise
        reason = "timed out" if _is_timeout(err) else "is unreachable"
        log.warning("database %s", reason, extra={"dependency": name, "error": type(err.__cause__ or err).__name__})
        raise DependencyUnavailable(name, f"The {name} database {reason}.") from err


def _is_timeout(err: BaseException) -> bool:
    text = str(getattr(err, "orig", err)).lower()
    return isinstance(err, exc.TimeoutError) or any(
        marker in text for marker in ("timeout", "timed out", "canceling statement", "interrupted"))


def install_guard(app: Flask, name: str, guard: SqlGuard) -> None:
    """Run every `connect` / `begin` on engines named `name` inside `guard()` (e.g. a circuit breaker)."""
    app.extensions.setdefault(GUARDS_KEY, {})[name] = guard


def install_schema_fix(app: Flask, name: str, fix: str) -> None:
    """What to tell the user when a table of the engines named `name` is missing (e.g. the command)."""
    app.extensions.setdefault(SCHEMA_FIXES_KEY, {})[name] = fix


def _guard(engine: Engine) -> AbstractContextManager[object]:
    from flask import current_app, has_app_context

    if has_app_context() and engine.logging_name is not None:
        guards: dict[str, SqlGuard] = current_app.extensions.get(GUARDS_KEY, {})
        guard = guards.get(engine.logging_name)
        if guard is not None:
            return guard()
    return nullcontext()


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """`engine.connect()` with error translation; the caller commits if it writes."""
    with _guard(engine), translate_errors(engine), engine.connect() as conn:
        yield conn


@contextmanager
def begin(engine: Engine) -> Iterator[Connection]:
    """`engine.begin()` (one transaction, committed on success) with error translation."""
    with _guard(engine), translate_errors(engine), engine.begin() as conn:
        yield conn


def inserted_id(result: CursorResult[*tuple[Any, ...]]) -> int:
    """The key (one integer column) of the row a single-row INSERT created."""
    key = result.inserted_primary_key
    if key is None:  # SQLAlchemy answers None only for a multi-row INSERT: a bug of the caller
        raise TypeError("inserted_id() needs the result of a single-row INSERT")
    return int(key[0])


def ping(engine: Engine) -> float:
    """Round-trip a trivial query; return its latency in ms. Raises DependencyUnavailable."""
    from sqlalchemy import text

    started = time.perf_counter()
    with connect(engine) as conn:
        conn.execute(text("SELECT 1"))
    return (time.perf_counter() - started) * 1000
