"""The I/O-free core: merging per-entity aggregates, watermarks, the sales window, as-of per dataset, and
which queued build covers a refresh request."""
from __future__ import annotations

import datetime as dt

from app.services.snapshots import _covers
from app.services.snapshots import datasets as ds


def test_merge_replaces_records_by_id_and_adds_new_ones():
    old = {"1": {"id": "1", "v": 1}, "2": {"id": "2", "v": 2}}
    merged = ds.merge_by_id(old, [{"id": "2", "v": 20}, {"id": "3", "v": 3}])
    assert merged == {"1": {"id": "1", "v": 1}, "2": {"id": "2", "v": 20}, "3": {"id": "3", "v": 3}}
    assert old["2"]["v"] == 2  # the stored working set is not mutated


def test_the_watermark_is_the_highest_updated_at_seen():
    items = [{"updated_at": "2026-11-01 10:00:00"}, {"updated_at": "2026-11-02 09:00:00"}, {}]
    assert ds.watermark(items, "2026-10-01 00:00:00") == "2026-11-02 09:00:00"
    assert ds.watermark([], "2026-10-01 00:00:00") == "2026-10-01 00:00:00"
    assert ds.watermark([], None) is None


def test_the_sales_window_covers_the_chart_months_and_the_recent_days():
    now = dt.datetime(2026, 11, 29, 12, 0)
    assert ds.sales_start(now, 12) == "2025-12-01 00:00:00"
    assert ds.sales_start(now, 1) == "2026-10-30 12:00:00"  # 30 days back is before Nov 1st
    orders = {"a": {"created_at": "2025-11-30 23:59:59"}, "b": {"created_at": "2025-12-01 00:00:00"}}
    assert list(ds.trim_orders(orders, "2025-12-01 00:00:00")) == ["b"]


def test_a_dataset_is_as_old_as_its_oldest_input():
    state = ds.empty_state()
    assert ds.as_of(state, "inventory/status") is None
    state["catalog"]["readAt"] = "2026-11-29T10:00:00+00:00"
    state["inventory"]["sources"] = {"a": {}, "b": {}}
    state["inventory"]["readAt"] = {"*": "2026-11-29T09:00:00+00:00", "a": "2026-11-29T11:00:00+00:00"}
    assert ds.as_of(state, "inventory/status") == "2026-11-29T09:00:00+00:00"  # source b: the full read
    state["inventory"]["readAt"]["b"] = "2026-11-29T11:30:00+00:00"
    assert ds.as_of(state, "inventory/status") == "2026-11-29T10:00:00+00:00"  # now the catalog is the oldest
    assert ds.as_of(state, "products/types") == "2026-11-29T10:00:00+00:00"
    assert "sales/performance" not in ds.compute(state, dt.datetime(2026, 11, 29), months=12, low_stock_qty=5)


def test_a_queued_build_covers_a_request_only_if_it_reads_at_least_as_much():
    assert _covers({"full": True}, {"groups": ["inventory"], "sources": ["a"]})
    assert not _covers({"groups": ["catalog"]}, {"full": True})
    assert _covers({"groups": None}, {"groups": ["sales"]})
    assert not _covers({"groups": ["catalog"]}, {"groups": ["catalog"], "refetch": ["catalog"]})
    assert _covers({"groups": ["inventory"], "sources": ["a", "b"]}, {"groups": ["inventory"], "sources": ["a"]})
    assert not _covers({"groups": ["inventory"], "sources": ["a"]}, {"groups": ["inventory"], "sources": None})
    assert _covers({"groups": ["inventory"], "sources": None}, {"groups": ["inventory"], "sources": ["a"]})
