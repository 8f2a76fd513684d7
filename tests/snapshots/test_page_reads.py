"""The snapshot job's Magento reads: pages after the first are read a few at a time, in order, over HTTP."""
from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from app.adapters.magento import get_magento_client
from app.errors import UpstreamHTTPError
from app.services.magento import analytics


class Recorder:
    """Wraps the app's client.search: pages asked for and the most calls in flight at once."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, client: Any, fail_page: int | None = None) -> None:
        self.pages: list[int] = []
        self.in_flight = self.peak = 0
        self.lock = threading.Lock()
        original = client.search

        def search(path: str, criteria: Any = None, **kw: Any) -> Any:
            with self.lock:
                self.pages.append(criteria["currentPage"])
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
            try:
                if criteria["currentPage"] == fail_page:
                    raise UpstreamHTTPError(500, "page failed")
                time.sleep(0.05)  # keeps concurrent pages overlapping on a loaded machine
                return original(path, criteria, **kw)
            finally:
                with self.lock:
                    self.in_flight -= 1
        monkeypatch.setattr(client, "search", search)


def _read(app, monkeypatch, **kw) -> tuple[list[str], Recorder]:
    with app.app_context():
        recorder = Recorder(monkeypatch, get_magento_client(), **kw)
        skus = [p["sku"] for p in analytics.products(None)]
    return skus, recorder


def test_pages_are_read_concurrently_in_order_and_match_a_sequential_read(snap_app, monkeypatch):
    sequential, seq = _read(snap_app(MAGENTO_ANALYTICS_PAGE_SIZE=10, MAGENTO_ANALYTICS_CONCURRENCY=1), monkeypatch)
    assert seq.peak == 1 and len(seq.pages) >= 6  # the test shop has several pages of 10
    concurrent, con = _read(snap_app(MAGENTO_ANALYTICS_PAGE_SIZE=10, MAGENTO_ANALYTICS_CONCURRENCY=3), monkeypatch)
    assert concurrent == sequential  # same rows, same order (page order kept)
    assert len(concurrent) == len(set(concurrent))
    assert sorted(con.pages) == sorted(seq.pages) and con.pages[0] == 1  # no extra call; page 1 gives the total
    assert con.peak == 3  # never more than the setting


def test_concurrency_leaves_half_the_workers_magento_slots_to_requests(snap_app, monkeypatch):
    app = snap_app(MAGENTO_ANALYTICS_PAGE_SIZE=10, MAGENTO_ANALYTICS_CONCURRENCY=8, MAGENTO_MAX_CONCURRENT_PER_WORKER=4)
    _, recorder = _read(app, monkeypatch)
    assert recorder.peak == 2


def test_a_failed_page_ends_the_read_with_its_error_and_no_page_is_read_far_ahead(snap_app, monkeypatch):
    app = snap_app(MAGENTO_ANALYTICS_PAGE_SIZE=10, MAGENTO_ANALYTICS_CONCURRENCY=2)
    with app.app_context():
        recorder = Recorder(monkeypatch, get_magento_client(), fail_page=3)
        with pytest.raises(UpstreamHTTPError):
            analytics.products(None)
    # Pages 2 and 3 in flight, then at most page 4 once page 2 came back: none read past the window.
    assert max(recorder.pages) <= 4 and recorder.in_flight == 0
