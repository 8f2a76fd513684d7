"""Parsing of the inventory query string (pure): defaults, empty strings, conversions, and rejections."""
from __future__ import annotations

from datetime import datetime

import pytest

from app.errors import InvalidInput
from app.services.mdm.inventory_params import Condition, parse_inventory_params


def test_frontend_defaults_with_empty_strings_mean_no_filter():
    q = parse_inventory_params({"page": "0", "pageSize": "25", "sourceCode": "", "succursale": "",
                                "search": "", "showChangedOnly": "false"})
    assert (q.page, q.page_size, q.sort, q.groups) == (0, 25, (), ())


def test_named_filters_are_typed():
    q = parse_inventory_params({"sourceCode": "3", "showChangedOnly": "true", "dateMax": "2025-02-01",
                                "sortField": "QteStock", "sortOrder": "DESC"})
    assert q.sort == (("QteStock", True),)
    assert (Condition("Code_Source", "eq", 3),) in q.groups
    assert (Condition("changed", "eq", True),) in q.groups
    assert (Condition("DateDernierMaJ", "lt", datetime(2025, 2, 2)),) in q.groups


def test_filter_groups_are_anded_and_filters_ored():
    q = parse_inventory_params({
        "searchCriteria[filter_groups][0][filters][0][field]": "TypeProd",
        "searchCriteria[filter_groups][0][filters][0][value]": "S",
        "searchCriteria[filter_groups][0][filters][1][field]": "TypeProd",
        "searchCriteria[filter_groups][0][filters][1][value]": "V",
        "searchCriteria[filter_groups][1][filters][0][field]": "QteStock",
        "searchCriteria[filter_groups][1][filters][0][value]": "5",
        "searchCriteria[filter_groups][1][filters][0][condition_type]": "gt",
    })
    assert q.groups == ((Condition("TypeProd", "eq", "S"), Condition("TypeProd", "eq", "V")),
                        (Condition("QteStock", "gt", 5),))


@pytest.mark.parametrize("params", [
    {"page": "-1"}, {"pageSize": "0"}, {"pageSize": "100000"}, {"page": "abc"},
    {"sourceCode": "x"}, {"showChangedOnly": "maybe"}, {"dateMin": "yesterday"},
    {"sortField": "Code_MDM", "sortOrder": "sideways"}, {"sortField": "__class__"},
    {"unknownParam": "1"}, {"searchCriteria[foo]": "1"},
    {"searchCriteria[filter_groups][999][filters][0][field]": "QteStock"},
    {"searchCriteria[filter_groups][0][filters][0][field]": "QteStock",
     "searchCriteria[filter_groups][0][filters][0][condition_type]": "like"},
    {"searchCriteria[filter_groups][0][filters][0][field]": "Succursale",
     "searchCriteria[filter_groups][0][filters][0][condition_type]": "gt"},
    {"searchCriteria[filter_groups][0][filters][0][field]": "Code_MDM",
     "searchCriteria[filter_groups][0][filters][0][condition_type]": "in",
     "searchCriteria[filter_groups][0][filters][0][value]": ""},
])
def test_invalid_parameters_raise_invalid_input(params):
    with pytest.raises(InvalidInput) as info:
        parse_inventory_params(params)
    assert info.value.status == 400 and info.value.details
