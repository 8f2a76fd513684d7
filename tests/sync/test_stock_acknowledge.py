"""The stock push acknowledges exactly what Magento took, batch by batch: refused batches, a source that
fails half-way and a full re-push leave the right rows changed, with exact counts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from app.adapters import sql
from app.adapters.magento import get_magento_client
from app.adapters.mdm.tables import stock_changes
from app.errors import UpstreamHTTPError
from tests.sync.conftest import MAGENTO_SOURCE, acknowledged_mismatches, mark_all_changed, mdm_rows, run_job


def _count(mdm, code: int) -> int:
    return len([r for r in mdm_rows(mdm) if r[1] == code])


def _fail_calls(app, should_fail):
    """Wrap the client's source-items call: `should_fail(items, call_number)` -> an exception to raise."""
    client = get_magento_client(app)
    original = client.post_source_items
    calls = {"n": 0}

    def post(items, **kwargs):
        calls["n"] += 1
        failure = should_fail(items, calls["n"])
        if failure is not None:
            raise failure
        return original(items, **kwargs)

    client.post_source_items = post
    return lambda: setattr(client, "post_source_items", original)


def test_a_batch_magento_refuses_whole_is_not_acknowledged(sync_app, shop, mdm):
    app = sync_app(SYNC_BATCH_SIZE=100)
    mark_all_changed(mdm)
    refused = MAGENTO_SOURCE[2]
    whole = "Could not save Source Item"  # names no item: the engine probes one, then rejects the batch
    restore = _fail_calls(app, lambda items, _n: UpstreamHTTPError(400, whole, details={"template": whole})
                          if items[0]["source_code"] == refused else None)
    try:
        job = run_job(app, "stocks", {"sources": ["1", "2"], "merge": False})
    finally:
        restore()
    assert job.status == "partial", job.message
    assert job.counts["accepted"] == job.counts["acknowledged"] == _count(mdm, 1)
    assert job.counts["rejected"] == _count(mdm, 2) and job.counts.get("stale", 0) == 0
    rows = mdm_rows(mdm)
    assert [r for r in rows if r[1] == 1 and r[3]] == []
    assert len([r for r in rows if r[1] == 2 and r[3]]) == _count(mdm, 2)  # refused: every row still changed
    assert acknowledged_mismatches(mdm, shop) == []


def test_a_source_failing_half_way_keeps_what_landed_acknowledged_and_the_rest_changed(sync_app, shop, mdm):
    # One batch at a time; the third call fails for good (403: not about the items, not transient).
    app = sync_app(SYNC_BATCH_SIZE=50, SYNC_SOURCE_INFLIGHT=1)
    mark_all_changed(mdm)
    restore = _fail_calls(app, lambda _items, n: UpstreamHTTPError(403, "Forbidden") if n == 3 else None)
    try:
        job = run_job(app, "stocks", {"sources": ["3"], "merge": False})
    finally:
        restore()
    assert job.status == "partial", job.message
    assert job.result["sources"]["3"]["status"] == "failed"
    assert job.counts["accepted"] == job.counts["acknowledged"] == 100
    assert job.counts.get("rejected", 0) == 0
    left = [r for r in mdm_rows(mdm) if r[1] == 3 and r[3]]
    assert len(left) == _count(mdm, 3) - 100
    assert acknowledged_mismatches(mdm, shop) == []
    # The next run pushes exactly what is left.
    again = run_job(app, "stocks", {"sources": ["3"], "merge": False})
    assert again.status == "succeeded" and again.counts["acknowledged"] == _count(mdm, 3) - 100


def test_a_full_repush_acknowledges_only_the_changed_rows_and_counts_none_stale(sync_app, shop, mdm):
    app = sync_app()
    code = 5
    with sql.begin(mdm) as conn:
        conn.execute(update(stock_changes).values(changed=False))
        conn.execute(update(stock_changes).where(stock_changes.c.Code_Source == code,
                                                 stock_changes.c.Code_MDM.in_(_first_codes(mdm, code, 7)))
                     .values(changed=True, DateDernierMaJ=datetime.now()))
    job = run_job(app, "stocks", {"sources": [str(code)], "merge": False, "full": True})
    assert job.status == "succeeded", job.message
    assert job.counts["accepted"] == job.counts["pushed"] == _count(mdm, code)
    assert job.counts["acknowledged"] == 7 and job.counts.get("stale", 0) == 0
    assert [r for r in mdm_rows(mdm) if r[3]] == []
    assert [m for m in acknowledged_mismatches(mdm, shop) if m[1] == code] == []  # Magento holds the source


def _first_codes(mdm, code: int, count: int) -> list[str]:
    return sorted(r[0] for r in mdm_rows(mdm) if r[1] == code)[:count]
