"""searchCriteria semantics: required-ness, OR inside a group, AND across groups, conditions, sort, paging."""
from __future__ import annotations

import httpx
import pytest

from magento_sandbox.search import (
    Filter,
    SearchCriteria,
    apply,
    criteria_from_query,
    matches,
    parse_query,
)


def _q(**flat: str) -> dict:
    return {k.replace("__", "]["): v for k, v in flat.items()}


def test_no_search_criteria_is_400_required(api: httpx.Client) -> None:
    resp = api.get("products", params={"fieldName": "name"})
    assert resp.status_code == 400
    assert resp.json() == {"message": '"%fieldName" is required. Enter and try again.',
                           "parameters": {"fieldName": "searchCriteria"}}


def test_cms_block_search_without_the_prefix_is_refused_like_magento(api: httpx.Client) -> None:
    """The frontend sends pageSize=... without searchCriteria[...]: Magento sees no searchCriteria."""
    resp = api.get("cmsBlock/search", params={"pageSize": "20", "currentPage": "1", "useCache": "true",
                                              "fieldName": "name"})
    assert resp.status_code == 400 and resp.json()["parameters"] == {"fieldName": "searchCriteria"}


def test_empty_search_criteria_returns_everything(api: httpx.Client) -> None:
    body = api.get("inventory/sources", params={"searchCriteria": ""}).json()
    assert body["total_count"] == 13 and len(body["items"]) == 13
    assert body["search_criteria"] == {"filter_groups": []}


def test_filters_or_within_a_group_and_across_groups(api: httpx.Client) -> None:
    params = {
        "searchCriteria[filter_groups][0][filters][0][field]": "source_code",
        "searchCriteria[filter_groups][0][filters][0][value]": "src_rabat",
        "searchCriteria[filter_groups][0][filters][1][field]": "source_code",
        "searchCriteria[filter_groups][0][filters][1][value]": "src_fes",
        "searchCriteria[filter_groups][1][filters][0][field]": "name",
        "searchCriteria[filter_groups][1][filters][0][value]": "%Agdal%",
        "searchCriteria[filter_groups][1][filters][0][condition_type]": "like",
    }
    body = api.get("inventory/sources", params=params).json()
    assert [s["source_code"] for s in body["items"]] == ["src_rabat"]
    assert body["total_count"] == 1
    echo = body["search_criteria"]["filter_groups"]
    assert echo[0]["filters"][1] == {"field": "source_code", "value": "src_fes", "condition_type": "eq"}
    assert echo[1]["filters"][0]["condition_type"] == "like"


def test_paging_total_count_and_past_the_end(api: httpx.Client) -> None:
    base = {"searchCriteria[pageSize]": "4", "searchCriteria[sortOrders][0][field]": "source_code",
            "searchCriteria[sortOrders][0][direction]": "ASC"}
    first = api.get("inventory/sources", params={**base, "searchCriteria[currentPage]": "1"}).json()
    assert len(first["items"]) == 4 and first["total_count"] == 13
    assert first["search_criteria"]["page_size"] == 4 and first["search_criteria"]["current_page"] == 1
    last = api.get("inventory/sources", params={**base, "searchCriteria[currentPage]": "4"}).json()
    assert len(last["items"]) == 1
    beyond = api.get("inventory/sources", params={**base, "searchCriteria[currentPage]": "9"}).json()
    assert beyond["items"] == [] and beyond["total_count"] == 13
    zero = api.get("inventory/sources", params={**base, "searchCriteria[currentPage]": "0"}).json()
    assert zero["items"] == first["items"]
    codes = [s["source_code"] for s in first["items"]]
    assert codes == sorted(codes)


def test_missing_sort_direction_means_desc(api: httpx.Client) -> None:
    body = api.get("inventory/sources", params={"searchCriteria[sortOrders][0][field]": "priority"}).json()
    prios = [s.get("priority", 0) for s in body["items"]]
    assert prios == sorted(prios, reverse=True)


def test_page_size_limit_only_in_strict_mode(api: httpx.Client, control: httpx.Client) -> None:
    big = {"searchCriteria[pageSize]": "301"}
    assert api.get("products", params=big).status_code == 200
    no_size = api.get("products", params={"searchCriteria[currentPage]": "1"}).json()
    assert len(no_size["items"]) == no_size["total_count"] == 120  # pageSize missing -> all rows
    control.post("faults", json={"strict_limits": True})
    resp = api.get("products", params=big)
    assert resp.status_code == 400
    assert resp.json() == {"message": "Maximum SearchCriteria pageSize is %max", "parameters": {"max": 300}}
    defaulted = api.get("products", params={"searchCriteria[currentPage]": "1"}).json()
    assert len(defaulted["items"]) == 20 and defaulted["search_criteria"]["page_size"] == 20


def test_orders_created_at_range_uses_iso_dates(api: httpx.Client) -> None:
    all_orders = api.get("orders", params={"searchCriteria[pageSize]": "0"}).json()
    dates = sorted(o["created_at"] for o in all_orders["items"])
    lo, hi = dates[len(dates) // 4], dates[len(dates) // 2]
    params = {
        "searchCriteria[filterGroups][0][filters][0][field]": "created_at",
        "searchCriteria[filterGroups][0][filters][0][value]": lo.replace(" ", "T") + ".000Z",
        "searchCriteria[filterGroups][0][filters][0][conditionType]": "gteq",
        "searchCriteria[filterGroups][1][filters][0][field]": "created_at",
        "searchCriteria[filterGroups][1][filters][0][value]": hi.replace(" ", "T") + ".000Z",
        "searchCriteria[filterGroups][1][filters][0][conditionType]": "lteq",
        "searchCriteria[pageSize]": "150",
    }
    body = api.get("orders", params=params).json()
    assert body["total_count"] == sum(1 for d in dates if lo <= d <= hi)
    assert all(lo <= o["created_at"] <= hi for o in body["items"])


@pytest.mark.parametrize("cond, value, actual, expected", [
    ("eq", "abc", "ABC", True), ("neq", "5", 5, False), ("gt", "9", 10, True), ("lt", "9", 10, False),
    ("gteq", "10", 10.0, True), ("lteq", "10", 11, False), ("moreq", "3", 3, True), ("from", "2", 1, False),
    ("to", "2", 1, True), ("in", "a,b", "b", True), ("nin", "a,b", "c", True), ("like", "Sty%", "Stylo", True),
    ("nlike", "Sty%", "Stylo", False), ("null", "", None, True), ("notnull", "", "x", True),
    ("finset", "4", "3,4", True), ("nfinset", "4", "3,4", False), ("eq", "18", ["3", "18"], True),
])
def test_condition_types(cond: str, value: str, actual: object, expected: bool) -> None:
    assert matches(Filter("f", value, cond), actual) is expected


def test_parse_query_builds_php_style_arrays() -> None:
    q = parse_query([("searchCriteria[filterGroups][0][filters][0][field]", "sku"), ("fieldName", "name")])
    assert q == {"searchCriteria": {"filterGroups": {"0": {"filters": {"0": {"field": "sku"}}}}}, "fieldName": "name"}
    crit = criteria_from_query(q)
    assert crit.filter_groups[0][0].field == "sku"


def test_apply_sorts_by_several_fields() -> None:
    rows = [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}, {"a": 3, "b": "y"}]
    crit = SearchCriteria(sort_orders=[("b", "DESC"), ("a", "ASC")])
    assert [r["a"] for r in apply(rows, crit)["items"]] == [3, 1, 2]
