"""Unit tests of the I/O-free push planning: source items, batching, input limits, bad-item isolation."""
from __future__ import annotations

import pytest

from app.services.sync.planning import (
    BatchSizer,
    LimitExceeded,
    Rejected,
    chunks,
    classify_refusal,
    push_isolating,
    source_item,
)


class FakeShop:
    """Refuses a whole call when it holds a bad item (MSI all-or-nothing), optionally naming it."""

    def __init__(self, bad: set[str], *, names: bool = True, limit: int | None = None,
                 whole: bool = False) -> None:
        self.bad, self.names, self.limit, self.whole = bad, names, limit, whole
        self.calls: list[list[str]] = []
        self.saved: set[str] = set()

    def send(self, part: list[str]) -> None:
        self.calls.append(list(part))
        if self.limit is not None and len(part) > self.limit:
            raise LimitExceeded(self.limit)
        culprits = [item for item in part if item in self.bad]
        if self.whole and part:
            raise Rejected("Could not save Source Item", whole_suspect=True)
        if culprits:
            named = {c: f"{c} was not found" for c in culprits} if self.names else {}
            raise Rejected("Validation Failed", bad_keys=named, item_messages=named)
        self.saved.update(part)


def items(n: int) -> list[str]:
    return [f"SKU{i:04d}" for i in range(n)]


def test_source_item_clamps_negative_and_null_quantities_and_derives_status():
    assert source_item("A", "src", 5) == {"sku": "A", "source_code": "src", "quantity": 5, "status": 1}
    assert source_item("A", "src", -3)["quantity"] == 0 and source_item("A", "src", -3)["status"] == 0
    assert source_item("A", "src", None) == {"sku": "A", "source_code": "src", "quantity": 0, "status": 0}


def test_chunks_cut_in_order():
    assert chunks([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]


def test_all_good_items_go_in_batches_of_the_size():
    shop = FakeShop(set())
    result = push_isolating(items(650), shop.send, str, BatchSizer(300))
    assert [len(c) for c in shop.calls] == [300, 300, 50] and len(result.accepted) == 650


def test_a_named_bad_item_is_set_aside_and_the_rest_retried_at_once():
    data = items(300)
    shop = FakeShop({data[137]})
    result = push_isolating(data, shop.send, str, BatchSizer(300))
    assert len(result.accepted) == 299 and [r[0] for r in result.rejected] == [data[137]]
    assert result.rejected[0][1] == f"{data[137]} was not found"
    assert len(shop.calls) == 3  # whole, rest, the bad one alone


def test_unnamed_bad_items_are_isolated_by_bisection_and_good_ones_land():
    data = items(300)
    bad = {data[5], data[200]}
    shop = FakeShop(bad, names=False)
    result = push_isolating(data, shop.send, str, BatchSizer(300))
    assert {r[0] for r in result.rejected} == bad
    assert shop.saved == set(data) - bad and len(shop.calls) < 40


def test_an_input_limit_shrinks_the_batch_and_nothing_is_lost():
    shop = FakeShop(set(), limit=20)
    sizer = BatchSizer(300)
    result = push_isolating(items(95), shop.send, str, sizer)
    assert sizer.size == 20 and sizer.limit_seen == 20 and len(result.accepted) == 95
    assert [len(c) for c in shop.calls[1:]] == [20, 20, 20, 20, 15]


def test_a_refusal_shared_by_the_whole_batch_costs_two_calls_not_a_bisection():
    shop = FakeShop(set(), whole=True)
    result = push_isolating(items(300), shop.send, str, BatchSizer(300))
    assert len(result.rejected) == 300 and len(shop.calls) == 2


@pytest.mark.parametrize(("status", "details", "kind"), [
    (400, {"template": 'Maximum items of type "%type" is %max', "parameters": {"type": "X", "max": 20}},
     LimitExceeded),
    (400, {"template": "Product with requested %field: %value was was not found.",
           "parameters": {"field": "sku", "value": "B"}}, Rejected),
    (401, {}, type(None)),
])
def test_magento_refusals_are_classified(status, details, kind):
    refusal = classify_refusal(status, "msg", details)
    assert isinstance(refusal, kind)
    if isinstance(refusal, Rejected):
        assert refusal.bad_keys == {"B"}
    if isinstance(refusal, LimitExceeded):
        assert refusal.max_items == 20


def test_errors_list_names_every_bad_sku():
    refusal = classify_refusal(400, "Validation Failed", {"errors": [
        {"message": "x", "text": "A not found", "parameters": {"field": "sku", "value": "A"}},
        {"message": "y", "parameters": {"field": "quantity"}}]})
    assert refusal.bad_keys == {"A"} and refusal.item_messages["A"] == "A not found"
