"""I/O-free parts of the Magento adapter: prefix rule, URL paths, query encoding, templates, retry policy."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from app.adapters.magento.paths import (
    _ROUTE_WORDS,
    apply_prefix_rule,
    async_bulk_route,
    encode_query,
    endpoint_template,
    rest_path,
    segment,
)
from app.adapters.magento.retry import RetryPolicy, parse_retry_after, should_retry_method
from app.adapters.magento.translate import fill_placeholders

ORACLE = Path("/work/shared/reference/magento-2.4-rest-swagger.json")


@pytest.mark.parametrize("given, expected", [
    ("products", "V1/products"),
    ("/products/ABC", "V1/products/ABC"),
    ("V1/products", "V1/products"),
    ("/V1/orders", "V1/orders"),
    ("rest/V1/orders", "V1/orders"),
    ("/rest/V1/store/storeConfigs", "V1/store/storeConfigs"),
    ("async/bulk/V1/products", "async/bulk/V1/products"),
    ("//products//ABC///media", "V1/products/ABC/media"),
    ("V1", "V1"),
    ("V10/x", "V1/V10/x"),  # only the exact V1 segment counts, as a prefix not a substring
])
def test_prefix_rule_prefixes_v1_unless_path_starts_with_v1_rest_v1_or_async(given: str, expected: str) -> None:
    assert apply_prefix_rule(given) == expected


@pytest.mark.parametrize("base", ["", "/", "/rest", "/rest/"])
def test_rest_path_accepts_base_url_with_or_without_rest_suffix(base: str) -> None:
    assert rest_path(base, "default", "V1/products") == "/rest/default/V1/products"
    assert rest_path(base, "all", "V1/products") == "/rest/all/V1/products"


def test_rest_path_keeps_a_shop_installed_under_a_subpath() -> None:
    assert rest_path("/shop", "fr", "V1/products") == "/shop/rest/fr/V1/products"


def test_async_bulk_route_prefixes_the_synchronous_route() -> None:
    assert async_bulk_route("products") == "async/bulk/V1/products"
    assert async_bulk_route("V1/products") == "async/bulk/V1/products"


def test_segment_encodes_slashes_in_skus() -> None:
    assert segment("AB/12 x") == "AB%2F12%20x"


def test_encode_query_nests_php_style_with_literal_brackets() -> None:
    query = encode_query({"searchCriteria": {
        "filter_groups": [{"filters": [{"field": "sku", "value": "24-M%", "condition_type": "like"}]}],
        "pageSize": 50, "currentPage": 2, "skipped": None, "flag": True}})
    assert query == ("searchCriteria[filter_groups][0][filters][0][field]=sku"
                     "&searchCriteria[filter_groups][0][filters][0][value]=24-M%25"
                     "&searchCriteria[filter_groups][0][filters][0][condition_type]=like"
                     "&searchCriteria[pageSize]=50&searchCriteria[currentPage]=2&searchCriteria[flag]=1")


@pytest.mark.parametrize("route, template", [
    ("V1/products/ABC-123", "V1/products/{sku}"),
    ("V1/products/ABC%2F1/media", "V1/products/{sku}/media"),
    ("V1/products/attributes/mgs_brand/options", "V1/products/attributes/{id}/options"),
    ("V1/products/base-prices", "V1/products/base-prices"),
    ("V1/orders/42", "V1/orders/{id}"),
    ("V1/bulk/7f1e2a3c-0000-4000-8000-123456789abc/status", "V1/bulk/{id}/status"),
    ("async/bulk/V1/products", "async/bulk/V1/products"),
    ("V1/a/b/c/d/e/f/g/h/i/j", "V1/{id}/{id}/{id}/{id}/{id}/{id}/{id}/..."),
])
def test_endpoint_template_replaces_skus_and_ids(route: str, template: str) -> None:
    assert endpoint_template(route) == template


def test_route_vocabulary_covers_every_static_segment_of_the_oracle() -> None:
    oracle = json.loads(ORACLE.read_text())
    for path in oracle["paths"]:
        for part in path.strip("/").split("/"):
            if not part.startswith("{"):
                assert part in _ROUTE_WORDS, path
        # a templated oracle path with sample values keeps every static word
        sample = re.sub(r"\{[^}]+\}", "X-1", path.strip("/"))
        expected = [p for p in path.strip("/").split("/")][:8]
        got = endpoint_template(sample).split("/")
        assert [g for g, e in zip(got, expected, strict=False) if not e.startswith("{")] == \
               [e for e in expected if not e.startswith("{")]


def test_backoff_is_full_jitter_bounded_by_exponential_ceiling() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=4.0)
    assert [policy.backoff(n, rand=lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert policy.backoff(3, rand=lambda: 0.0) == 0.0


def test_retry_after_is_obeyed_as_given_or_the_call_gives_up() -> None:
    policy = RetryPolicy(max_wait=10.0)
    assert policy.wait_before_retry(1, 3.0, waited=0.0) == 3.0
    assert policy.wait_before_retry(1, 8.0, waited=5.0) is None  # beyond the remaining wait budget
    assert policy.wait_before_retry(1, None, waited=9.9, rand=lambda: 1.0) == pytest.approx(0.1)


def test_parse_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_only_idempotent_methods_or_flagged_upserts_are_replayed() -> None:
    assert should_retry_method("GET", False) and should_retry_method("put", False)
    assert should_retry_method("DELETE", False)
    assert not should_retry_method("POST", False)
    assert should_retry_method("POST", True)


def test_placeholders_are_filled_from_named_and_positional_parameters() -> None:
    assert fill_placeholders('"%fieldName" is required.', {"fieldName": "sku"}) == '"sku" is required.'
    assert fill_placeholders("Invalid attribute %fieldName = %fieldValue.", ["SKU", "NO-SUCH"]) == \
        "Invalid attribute SKU = NO-SUCH."  # REST drops the names of string[] parameters
    assert fill_placeholders("Item %1 of %2", ["a", "b"]) == "Item a of b"
    assert fill_placeholders("Max %max", None) == "Max %max"
