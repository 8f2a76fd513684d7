"""The stock MERGE and the sync engine's changed-rows / acknowledge API, on every backend."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from mdm_rows import approvisionnement, insert, movement, stock_changes, stock_state
from sqlalchemy import update

from app.services.mdm import stock
from app.services.mdm.stock import (
    ChangedRow,
    acknowledge,
    changed_rows,
    count_rows,
    merge_stock_changes,
    source_rows,
)

T0 = datetime(2025, 6, 1, 8, 0, 0)
NOW1 = datetime(2025, 6, 2, 10, 0, 0, 123456)
NOW2 = datetime(2025, 6, 3, 10, 0, 0, 654321)


def settle(db) -> None:
    """Clear every changed flag, as if a sync had pushed everything."""
    with db.begin() as conn:
        conn.execute(update(stock_changes).values(changed=False))


def test_new_rows_are_inserted_with_changed_from_the_latest_movement(db):
    insert(db, approvisionnement, [
        movement("A", 1, 5, T0), movement("A", 1, 9, T0 + timedelta(hours=2)),
        movement("A", 1, 7, T0 + timedelta(hours=1)),
        movement("A", 2, None, T0), movement("B", 1, 3, T0),
    ])
    result = merge_stock_changes(db, now=NOW1)
    assert result.as_dict() == {"inserted": 3, "updated": 0, "unchanged": 0}
    state = stock_state(db)
    assert {k: v[:2] for k, v in state.items()} == {("A", 1): (9, True), ("A", 2): (None, True), ("B", 1): (3, True)}
    assert state[("A", 1)][2] == NOW1


def test_same_date_movements_break_ties_by_insertion_order(db):
    insert(db, approvisionnement, [movement("A", 1, 1, T0), movement("A", 1, 2, T0)])
    merge_stock_changes(db, now=NOW1)
    assert stock_state(db)[("A", 1)][0] == 2


def test_merge_is_null_safe_and_only_touches_real_changes(db):
    insert(db, approvisionnement, [movement("NULLS", 1, None, T0), movement("SAME", 1, 4, T0),
                                   movement("TO_NULL", 1, 6, T0), movement("FROM_NULL", 1, None, T0)])
    merge_stock_changes(db, now=NOW1)
    settle(db)
    later = T0 + timedelta(days=1)
    insert(db, approvisionnement, [movement("NULLS", 1, None, later), movement("SAME", 1, 4, later),
                                   movement("TO_NULL", 1, None, later), movement("FROM_NULL", 1, 8, later)])
    result = merge_stock_changes(db, now=NOW2)
    assert result.as_dict() == {"inserted": 0, "updated": 2, "unchanged": 2}
    state = stock_state(db)
    assert state[("NULLS", 1)][:3] == (None, False, NOW1)
    assert state[("SAME", 1)][:3] == (4, False, NOW1)
    assert state[("TO_NULL", 1)][:3] == (None, True, NOW2)
    assert state[("FROM_NULL", 1)][:3] == (8, True, NOW2)


def test_merge_never_deletes_rows_without_movements(db):
    insert(db, stock_changes, [{"Code_MDM": "ORPHAN", "Code_Source": 1, "Source": "Store 1", "QteStock": 2,
                                "DateDernierMaJ": T0, "changed": False}])
    insert(db, approvisionnement, [movement("A", 1, 1, T0)])
    assert merge_stock_changes(db, now=NOW1).inserted == 1
    assert set(stock_state(db)) == {("ORPHAN", 1), ("A", 1)}


def test_single_source_merge_leaves_other_sources_alone(db):
    insert(db, approvisionnement, [movement("A", 1, 1, T0), movement("A", 2, 2, T0), movement("B", 2, 3, T0)])
    assert merge_stock_changes(db, 2, now=NOW1).as_dict() == {"inserted": 2, "updated": 0, "unchanged": 0}
    assert set(stock_state(db)) == {("A", 2), ("B", 2)}
    assert merge_stock_changes(db, None, now=NOW2).as_dict() == {"inserted": 1, "updated": 0, "unchanged": 2}


def test_changed_rows_are_keyset_paged_per_source(db):
    insert(db, approvisionnement, [movement(f"P{i:03d}", s, i, T0) for i in range(25) for s in (1, 2)])
    merge_stock_changes(db, now=NOW1)
    seen: list[str] = []
    page = changed_rows(db, 1, limit=10)
    while page:
        assert all(r.code_source == 1 for r in page)
        seen += [r.code_mdm for r in page]
        page = changed_rows(db, 1, after=page[-1].code_mdm, limit=10)
    assert seen == [f"P{i:03d}" for i in range(25)]
    assert changed_rows(db, 1, limit=1)[0] == ChangedRow("P000", 1, "Store 1", 0, NOW1)
    with pytest.raises(ValueError):
        changed_rows(db, 1, limit=0)


def test_acknowledge_clears_only_rows_unchanged_since_they_were_sent(db):
    insert(db, approvisionnement, [movement("KEEP", 1, 1, T0), movement("MOVED", 1, 2, T0),
                                   movement("NULLQ", 1, None, T0), movement("UNSENT", 1, 4, T0)])
    merge_stock_changes(db, now=NOW1)
    sent = [r for r in changed_rows(db, 1) if r.code_mdm != "UNSENT"]
    # While the push runs, MOVED changes again.
    insert(db, approvisionnement, [movement("MOVED", 1, 20, T0 + timedelta(hours=1))])
    merge_stock_changes(db, now=NOW2)
    synced = datetime(2025, 6, 3, 11, 0, 0)
    result = acknowledge(db, sent, synced_at=synced)
    assert (result.acknowledged, result.stale) == (2, 1)
    state = stock_state(db)
    assert state[("KEEP", 1)][1:] == (False, NOW1, synced)
    assert state[("NULLQ", 1)][1] is False
    assert state[("MOVED", 1)][:2] == (20, True) and state[("MOVED", 1)][3] is None
    assert state[("UNSENT", 1)][1] is True
    # Acknowledging the same rows again is a no-op.
    assert acknowledge(db, sent).acknowledged == 0


def test_acknowledge_rejects_a_stale_version_with_the_same_quantity(db):
    insert(db, approvisionnement, [movement("A", 1, 5, T0)])
    merge_stock_changes(db, now=NOW1)
    [row] = changed_rows(db, 1)
    stale = ChangedRow(row.code_mdm, row.code_source, row.source, row.qte_stock, NOW1 - timedelta(seconds=1))
    assert acknowledge(db, [stale]).acknowledged == 0
    assert acknowledge(db, [row]).acknowledged == 1


def test_acknowledge_many_rows_in_chunks(db):
    insert(db, approvisionnement, [movement(f"M{i:04d}", 3, i % 7, T0) for i in range(1203)])
    merge_stock_changes(db, now=NOW1)
    rows = changed_rows(db, 3, limit=5000)
    assert len(rows) == 1203
    assert acknowledge(db, rows).acknowledged == 1203
    assert changed_rows(db, 3) == []


def _stock_row(code: str, source: int, qty: int | None, version: datetime | None, changed: bool = True) -> dict:
    return {"Code_MDM": code, "Code_Source": source, "Source": f"Store {source}", "QteStock": qty,
            "DateDernierMaJ": version, "changed": changed}


def test_one_batch_statement_with_stale_rows_nulls_and_padding_counts_exactly(db):
    # 137 rows: one statement padded to the 200-row shape; NULL quantities and versions; three rows move
    # between the read and the acknowledgement (quantity, version only, and back to a NULL version).
    rows = [_stock_row(f"B{i:03d}", 4, None if i % 10 == 0 else i, None if i % 25 == 0 else NOW1)
            for i in range(137)]
    insert(db, stock_changes, rows)
    sent = changed_rows(db, 4, limit=5000)
    assert len(sent) == 137 and stock.ack_shape(137) == 200
    with db.begin() as conn:
        for code, values in (("B005", {"QteStock": 55}), ("B010", {"DateDernierMaJ": NOW2}),
                             ("B011", {"DateDernierMaJ": None})):
            conn.execute(update(stock_changes).where(stock_changes.c.Code_MDM == code).values(**values))
    result = acknowledge(db, sent, synced_at=NOW2)
    assert (result.acknowledged, result.stale) == (134, 3)
    state = stock_state(db)
    assert sorted(key[0] for key, value in state.items() if value[1]) == ["B005", "B010", "B011"]
    assert state[("B000", 4)][1:] == (False, None, NOW2)  # NULL quantity and NULL version: acknowledged
    assert state[("B136", 4)][1] is False  # the last row, the one the padding repeats: acknowledged once
    assert acknowledge(db, sent) == stock.AckResult(acknowledged=0, stale=137)


def test_acknowledge_matches_the_source_too_and_counts_a_duplicate_once(db):
    insert(db, stock_changes, [_stock_row("SAME", 1, 3, NOW1), _stock_row("SAME", 2, 3, NOW1),
                               _stock_row("OTHER", 1, 4, NOW1)])
    [_other, in_store_1] = changed_rows(db, 1)
    assert in_store_1.code_mdm == "SAME"
    assert acknowledge(db, [in_store_1, in_store_1]) == stock.AckResult(acknowledged=1, stale=1)
    state = stock_state(db)
    assert state[("SAME", 1)][1] is False and state[("SAME", 2)][1] is True and state[("OTHER", 1)][1] is True


def test_acknowledge_of_nothing_touches_nothing(db):
    insert(db, stock_changes, [_stock_row("A", 1, 3, NOW1)])
    assert acknowledge(db, []) == stock.AckResult(acknowledged=0, stale=0)
    assert acknowledge(db, iter(changed_rows(db, 1))) == stock.AckResult(acknowledged=1, stale=0)


def test_source_rows_page_every_row_with_its_flag_and_count_rows(db):
    insert(db, stock_changes, [_stock_row(f"R{i}", 6, i, NOW1, changed=i % 2 == 0) for i in range(5)])
    assert count_rows(db, 6) == 3 and count_rows(db, 6, every=True) == 5 and count_rows(db, 7) == 0
    first = source_rows(db, 6, limit=3)
    assert [(row.code_mdm, changed) for row, changed in first] == [("R0", True), ("R1", False), ("R2", True)]
    rest = source_rows(db, 6, after="R2", limit=3)
    assert [(row.code_mdm, changed) for row, changed in rest] == [("R3", False), ("R4", True)]
    assert first[0][0] == ChangedRow("R0", 6, "Store 6", 0, NOW1)
    with pytest.raises(ValueError):
        source_rows(db, 6, limit=5001)
