"""Every statement the MDM layer issues compiles for SQL Server and names the real dbo/EComm objects."""
from __future__ import annotations

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
            "stock.acknowledge_00"} <= set(STATEMENTS)


def test_merge_update_uses_update_from_on_mssql():
    sql = str(STATEMENTS["stock.merge_update_one"].compile(dialect=mssql.dialect()))
    assert sql.startswith("UPDATE [EComm].[StockChanges] SET") and " FROM " in sql


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_ddl_compiles_for_mssql(table):
    assert "CREATE TABLE" in str(CreateTable(table).compile(dialect=mssql.dialect()))
    for index in table.indexes:
        str(CreateIndex(index).compile(dialect=mssql.dialect()))
