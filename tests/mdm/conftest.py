"""Fixtures for the MDM suite: one clean MDM database per test on SQLite, PostgreSQL and MariaDB.

PostgreSQL and MariaDB tables live in a throw-away schema/database per test session (name unique per
process, so parallel runs don't collide) and are emptied before each test. When a server is unreachable,
its tests FAIL under CI=true and are skipped otherwise.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from app.adapters.mdm.tables import create_mdm_schema, mdm_engine
from app.adapters.sql import create_engine_for
from app.services.mdm.seed import clear_mdm_data

PG_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIA_URL = os.environ.get("TEST_MARIA_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
BACKENDS = ("sqlite", "postgresql", "mariadb")


def _unavailable(what: str, err: Exception) -> None:
    message = f"{what} is unreachable: {err}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _server_engine(backend: str, tmp_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if backend == "sqlite":
        path = tmp_factory.mktemp("mdm") / "mdm.sqlite3"
        engine = create_engine_for(f"sqlite:///{path}", name="mdm", connect_timeout=2, statement_timeout=30)
        mdm = mdm_engine(engine)
        create_mdm_schema(mdm)
        yield mdm
        engine.dispose()
        return
    url = PG_URL if backend == "postgresql" else MARIA_URL
    raw = create_engine_for(url, name="mdm", connect_timeout=2, statement_timeout=60)
    schema = f"mdm_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with raw.begin() as conn:
            keyword = "SCHEMA" if backend == "postgresql" else "DATABASE"
            conn.execute(text(f"CREATE {keyword} {schema}"))
    except Exception as err:  # noqa: BLE001 - any connection failure means "server missing"
        raw.dispose()
        _unavailable(backend, err)
    mdm = mdm_engine(raw, schema=schema)
    try:
        create_mdm_schema(mdm)
        yield mdm
    finally:
        with raw.begin() as conn:
            keyword = "SCHEMA" if backend == "postgresql" else "DATABASE"
            cascade = " CASCADE" if backend == "postgresql" else ""
            conn.execute(text(f"DROP {keyword} IF EXISTS {schema}{cascade}"))
        raw.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def mdm_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield from _server_engine(request.param, tmp_path_factory)


@pytest.fixture()
def db(mdm_server: Engine) -> Engine:
    """An empty MDM database (the four tables exist), on each backend in turn."""
    clear_mdm_data(mdm_server)
    return mdm_server
