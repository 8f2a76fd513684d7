"""Bulkheads: the per-process cap, the per-host cap across processes, and no slot leaked by a killed worker."""
from __future__ import annotations

import multiprocessing
import os
import threading
import time

import pytest

from app.services.resilience.bulkhead import Bulkhead, BulkheadFull
from tests.resilience.helpers import child_hold_slot
from tests.support.servers import wait_until

pytestmark = pytest.mark.timeout(60)

SPAWN = multiprocessing.get_context("spawn")


def _hold(bulkhead: Bulkhead, entered: threading.Event, release: threading.Event) -> None:
    with bulkhead.slot():
        entered.set()
        release.wait(10)


def test_per_process_cap_waits_briefly_then_refuses(tmp_path) -> None:
    bulkhead = Bulkhead("magento", per_process=2, per_host=0, wait=0.2, directory=str(tmp_path))
    release = threading.Event()
    holders = []
    for _ in range(2):
        entered = threading.Event()
        thread = threading.Thread(target=_hold, args=(bulkhead, entered, release))
        thread.start()
        assert entered.wait(5)
        holders.append(thread)
    started = time.perf_counter()
    with pytest.raises(BulkheadFull) as refused:
        with bulkhead.slot():
            pass
    waited = time.perf_counter() - started
    assert 0.15 < waited < 0.6
    assert refused.value.status == 503 and refused.value.headers["Retry-After"] == "1"
    assert refused.value.message == "too many concurrent Magento calls"
    release.set()
    for thread in holders:
        thread.join()
    with bulkhead.slot():
        pass


def test_a_slot_freed_during_the_wait_is_taken(tmp_path) -> None:
    bulkhead = Bulkhead("magento", per_process=1, per_host=1, wait=2.0, directory=str(tmp_path))
    release, entered = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold, args=(bulkhead, entered, release))
    holder.start()
    assert entered.wait(5)
    threading.Timer(0.2, release.set).start()
    started = time.perf_counter()
    with bulkhead.slot():
        assert time.perf_counter() - started < 1.0
    holder.join()


def test_per_host_cap_spans_processes_and_a_killed_holder_frees_its_slot(tmp_path) -> None:
    directory, release = str(tmp_path / "slots"), str(tmp_path / "release")
    children, readies = [], []
    for i in range(2):
        ready = str(tmp_path / f"ready{i}")
        child = SPAWN.Process(target=child_hold_slot, args=(directory, "magento", 2, ready, release))
        child.start()
        children.append(child)
        readies.append(ready)
    wait_until(lambda: all(os.path.exists(r) for r in readies), timeout=30)
    mine = Bulkhead("magento", per_process=4, per_host=2, wait=0.2, directory=directory)
    try:
        assert mine.host_in_use() == 2
        with pytest.raises(BulkheadFull) as refused:
            with mine.slot():
                pass
        assert refused.value.details["bulkhead"] == "host"
        children[0].kill()  # SIGKILL, as Gunicorn does to a worker past its timeout: the kernel drops its flock
        children[0].join(10)
        with mine.slot():
            assert mine.host_in_use() == 2
    finally:
        open(release, "w").close()
        for child in children:
            child.join(10)
    assert children[1].exitcode == 0
    assert mine.host_in_use() == 0
