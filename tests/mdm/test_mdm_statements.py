"""Every statement the MDM layer issues compiles for SQL Server and names the real dbo/EComm objects."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy.dialects import mssql
from sqlalchemy.schema import CreateIndex, CreateTable

from app.adapters.mdm.tables import TABLES
from app.services.mdm import inventory, prices, stock
from app.services.mdm.sources import load_sources

STATEMENTS = {**prices.example_statements(), **inventory.example_statements(load_sources()),
              **stock.example_statements()}


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_statement_compiles_for_mssql(name):
    sql = str(STATEMENTS[name].compile(dialect=mssql.dialect()))
    assert "[EComm]." in sql or "dbo." in sql
    assert "LIMIT" not in sql  # mssql spells paging TOP / OFFSET ... FETCH


def test_enumeration_covers_every_builder():
    assert {"prices.page", "prices.count", "prices.lookup", "inventory.page", "inventory.count",
            "stock.merge_update_one", "stock.merge_insert_all", "stock.changed_rows",
            "stock.acknowledge_100", "stock.acknowledge_500"} <= set(STATEMENTS)


def test_merge_update_uses_update_from_on_mssql():
    sql = str(STATEMENTS["stock.merge_update_one"].compile(dialect=mssql.dialect()))
    assert sql.startswith("UPDATE [EComm].[StockChanges] SET") and " FROM " in sql


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_ddl_compiles_for_mssql(table):
    assert "CREATE TABLE" in str(CreateTable(table).compile(dialect=mssql.dialect()))
    for index in table.indexes:
        str(CreateIndex(index).compile(dialect=mssql.dialect()))


def test_acknowledge_is_one_update_joining_a_values_table_on_mssql():
    compiled = STATEMENTS["stock.acknowledge_500"].compile(dialect=mssql.dialect())
    sql = str(compiled)
    assert sql.startswith("UPDATE [EComm].[StockChanges] SET changed=0, [syncedDate]=:synced FROM ")
    assert "(VALUES (:mdm0, :src0, :qty0, :ver0), (:mdm1, " in sql and ") AS acked (mdm, src, qty, ver)" in sql
    # The version check: key, still changed, same quantity and same DateDernierMaJ (NULL-safe).
    for condition in ("[Code_MDM] = acked.mdm", "[Code_Source] = acked.src", ".changed = 1",
                      "[QteStock] = acked.qty OR [EComm].[StockChanges].[QteStock] IS NULL AND acked.qty IS NULL",
                      "[DateDernierMaJ] = acked.ver OR [EComm].[StockChanges].[DateDernierMaJ] IS NULL "
                      "AND acked.ver IS NULL"):
        assert condition in sql
    # SQL Server accepts at most 2,100 parameters in one statement.
    assert len(re.findall(r":\w+", sql)) == 4 * stock.ACK_CHUNK + 1 <= 2100
    assert stock.ack_shape(stock.ACK_CHUNK) == stock.ACK_CHUNK


def test_acknowledge_driver_sql_for_pyodbc_binds_every_row_in_placeholder_order():
    dialect = mssql.pyodbc.dialect(paramstyle="qmark")
    statement = stock._driver_acknowledge(dialect, (), 100)  # the real dbo/EComm names: no schema map
    assert statement.sql.startswith("UPDATE [EComm].[StockChanges] SET changed=0, [syncedDate]=? FROM ")
    assert statement.sql.count("?") == len(statement.positions) == 4 * 100 + 1
    assert statement.positions[:5] == ("synced", "mdm0", "src0", "qty0", "ver0")
    rows = [stock.ChangedRow(f"P{i}", 3, "Store 3", i - 1 or None, None) for i in range(100)]
    params = statement.parameters(rows, datetime(2025, 1, 15, 12))
    assert params[1:5] == ("P0", 3, -1, None) and params[-4:] == ("P99", 3, 98, None)
