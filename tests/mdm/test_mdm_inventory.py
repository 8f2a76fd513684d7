"""The inventory grid on every backend: filters, totalCount, stable paging, and hostile names -> 400."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from mdm_rows import insert, price_row, product, produits, stock_changes, tarif

from app.errors import InvalidInput
from app.services.mdm.inventory import fetch_inventory
from app.services.mdm.inventory_params import parse_inventory_params
from app.services.mdm.sources import StoreSource

STORES = (StoreSource("1", "Casa", "src_casa", "101"), StoreSource("2", "Rabat", "src_rabat", "102"),
          StoreSource("3", "Online", "src_online", "101"))
T0 = datetime(2025, 6, 1, 8, 0, 0)


def grid(db, **params):
    return fetch_inventory(db, parse_inventory_params({k: str(v) for k, v in params.items()}), STORES,
                           today=date(2025, 6, 15))


@pytest.fixture()
def stock(db):
    insert(db, produits, [product(f"P{i:03d}", "V" if i % 5 == 0 else "S", category="Gaming" if i < 10 else "Bureau",
                                  label=f"Article {i} {'Rouge' if i % 3 == 0 else 'Noir'}") for i in range(40)])
    insert(db, tarif, [price_row("P001", "R", 0, "10.00"), price_row("P001", "E", 9, "12.50", ref="R")])
    rows = []
    for i in range(40):
        for src in (1, 2, 3):
            rows.append({"Code_MDM": f"P{i:03d}", "Code_Source": src, "Source": f"Store {src}",
                         "QteStock": None if i == 7 else 5,  # almost every row has the same sort value
                         "DateDernierMaJ": T0 + timedelta(days=i % 4), "changed": i % 2 == 0})
    insert(db, stock_changes, rows)
    return db


def test_rows_are_keyed_like_the_original(stock):
    page = grid(stock, pageSize=1, Code_MDM="P001", sourceCode=2)
    assert page.total_count == 1
    row = page.rows[0]
    assert {k: row[k] for k in ("Code_MDM", "Code_JDE", "TypeProd", "Source", "Succursale", "QteStock",
                                "Tarif", "changed")} == {
        "Code_MDM": "P001", "Code_JDE": "JDE-P001", "TypeProd": "S", "Source": "Store 2", "Succursale": "102",
        "QteStock": 5, "Tarif": 12.5, "changed": 0}
    assert row["DateDernierMaJ"] == "2025-06-02T08:00:00"


@pytest.mark.parametrize("sort", [None, ("QteStock", "asc"), ("QteStock", "desc"), ("changed", "desc"),
                                  ("Succursale", "asc"), ("Categorie", "desc")])
def test_pages_never_overlap_with_many_equal_sort_values(stock, sort):
    extra = {"sortField": sort[0], "sortOrder": sort[1]} if sort else {}
    seen: list[tuple[str, int]] = []
    for page_no in range(20):
        page = grid(stock, page=page_no, pageSize=7, **extra)
        assert page.total_count == 120
        if not page.rows:
            break
        seen += [(r["Code_MDM"], r["Code_Source"]) for r in page.rows]
    assert len(seen) == 120 and len(set(seen)) == 120


@pytest.mark.parametrize(("params", "expected"), [
    ({}, 120),
    ({"sourceCode": "", "succursale": "", "search": "", "showChangedOnly": "false"}, 120),
    ({"sourceCode": 2}, 40),
    ({"succursale": "101"}, 80),
    ({"showChangedOnly": "true"}, 60),
    ({"changed": "0"}, 60),
    ({"TypeProd": "V"}, 24),
    ({"categorie": "gam"}, 30),
    ({"description": "rouge"}, 42),
    ({"refArticle": "JDE-P01"}, 30),
    ({"search": "P03"}, 30),
    ({"search": "100%_"}, 0),
    ({"dateMin": "2025-06-02", "dateMax": "2025-06-03"}, 60),
    ({"dateMin": "2025-06-02T09:00:00"}, 60),
    ({"sourceCode": 1, "showChangedOnly": "true", "categorie": "Bureau"}, 15),
    ({"searchCriteria[filter_groups][0][filters][0][field]": "QteStock",
      "searchCriteria[filter_groups][0][filters][0][condition_type]": "null"}, 3),
    ({"searchCriteria[filter_groups][0][filters][0][field]": "Code_MDM",
      "searchCriteria[filter_groups][0][filters][0][value]": "P001",
      "searchCriteria[filter_groups][0][filters][1][field]": "Code_MDM",
      "searchCriteria[filter_groups][0][filters][1][value]": "P002",
      "searchCriteria[filter_groups][1][filters][0][field]": "Succursale",
      "searchCriteria[filter_groups][1][filters][0][value]": "102,999",
      "searchCriteria[filter_groups][1][filters][0][condition_type]": "in"}, 2),
    ({"searchCriteria[filter_groups][0][filters][0][field]": "Libelle",
      "searchCriteria[filter_groups][0][filters][0][value]": "%noir%",
      "searchCriteria[filter_groups][0][filters][0][condition_type]": "like",
      "searchCriteria[filter_groups][1][filters][0][field]": "Code_Source",
      "searchCriteria[filter_groups][1][filters][0][value]": "2",
      "searchCriteria[filter_groups][1][filters][0][condition_type]": "gteq"}, 52),
])
def test_total_count_follows_the_filters(stock, params, expected):
    page = grid(stock, pageSize=5, **params)
    assert page.total_count == expected
    assert len(page.rows) == min(5, expected)


def test_magento_paging_keys_are_honoured(stock):
    page = grid(stock, **{"searchCriteria[pageSize]": 10, "searchCriteria[currentPage]": 2,
                          "searchCriteria[sortOrders][0][field]": "Code_MDM",
                          "searchCriteria[sortOrders][0][direction]": "DESC"})
    assert (page.page, page.page_size) == (1, 10)
    assert page.rows[0]["Code_MDM"] == "P036"


@pytest.mark.parametrize("params", [
    {"sortField": "QteStock; DROP TABLE StockChanges--"},
    {"sortField": "Tarif"},
    {"sortField": "QteStock", "sortOrder": "desc, (SELECT 1)"},
    {"Code_MDM) OR 1=1 --": "x"},
    {"searchCriteria[filter_groups][0][filters][0][field]": "1=1) OR (1",
     "searchCriteria[filter_groups][0][filters][0][value]": "x"},
    {"searchCriteria[filter_groups][0][filters][0][field]": "QteStock",
     "searchCriteria[filter_groups][0][filters][0][condition_type]": "eq OR 1=1"},
    {"searchCriteria[filter_groups][0][filters][0][field]": "QteStock",
     "searchCriteria[filter_groups][0][filters][0][value]": "1 OR 1=1"},
    {"searchCriteria[filter_groups][0][filters][0][field;drop]": "QteStock"},
    {"searchCriteria[sortOrders][0][field]": "password"},
])
def test_hostile_names_are_rejected_before_sql(stock, params):
    with pytest.raises(InvalidInput):
        grid(stock, **params)
    assert grid(stock).total_count == 120  # the table is intact


def test_hostile_values_are_just_data(stock):
    assert grid(stock, search="' OR '1'='1").total_count == 0
    assert grid(stock, Code_MDM="P001' --").total_count == 0
