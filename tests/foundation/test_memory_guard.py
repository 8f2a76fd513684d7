"""The memory guard of gunicorn.conf.py (PM2's max_memory_restart): what it reads per request and when it
recycles. Its behaviour under the real Gunicorn is in test_gunicorn.py."""
from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from types import ModuleType

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]


class FakeWorker:
    def __init__(self) -> None:
        self.alive = True
        self.log = logging.getLogger("test.memory_guard")


@pytest.fixture
def conf() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", ROOT / "gunicorn.conf.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def listing_counter(monkeypatch, guard) -> list[int]:
    calls: list[int] = []

    def children(recursive: bool = False) -> list[psutil.Process]:
        calls.append(1)
        return []
    monkeypatch.setattr(guard.proc, "children", children)
    return calls


def test_the_per_request_check_never_lists_processes(conf, monkeypatch):
    # Listing children reads every /proc/<pid>/stat of the host: milliseconds on a request thread.
    guard = conf._MemoryGuard(FakeWorker())
    guard.limit = 1 << 50
    calls = listing_counter(monkeypatch, guard)
    for _ in range(50):
        guard.check(precise=False)
    assert calls == []
    guard.check(precise=True)  # the idle loop's check refreshes the pool's processes
    assert calls == [1] and not guard.tripped


def test_past_the_cheap_bound_the_precise_check_decides_and_recycles(conf, monkeypatch):
    worker = FakeWorker()
    guard = conf._MemoryGuard(worker)
    guard.limit = 1  # this process is above any limit
    calls = listing_counter(monkeypatch, guard)
    guard.check(precise=False)
    assert calls == [1] and guard.tripped and worker.alive is False
    guard.check(precise=False)  # tripped: nothing more to do
    assert calls == [1]


def test_the_pool_processes_count_in_the_cheap_bound(conf, monkeypatch):
    guard = conf._MemoryGuard(FakeWorker())
    own = psutil.Process().memory_info().rss
    guard.limit = own + 10 * 1024 ** 2
    guard.check(precise=False)
    assert not guard.tripped
    # A pool process of the last precise check, as big as this one, pushes the bound past the limit.
    guard.children = [psutil.Process()]
    calls = listing_counter(monkeypatch, guard)
    guard.check(precise=False)
    assert calls == [1]  # the bound was passed: confirmed with the precise (USS) check


def test_requests_run_the_precise_check_at_most_once_a_second(conf, monkeypatch):
    # RSS counts pages shared with the master: a worker can sit above the cheap bound while its USS is under
    # the limit, and must not pay a /proc scan and a smaps read on every request for it.
    guard = conf._MemoryGuard(FakeWorker())
    guard.limit = 1  # the cheap bound is always passed...
    monkeypatch.setattr(conf, "tree_uss", lambda pid, children=None: 0)  # ...the precise check never is
    calls = listing_counter(monkeypatch, guard)
    for _ in range(20):
        guard.check(precise=False)
    assert calls == [1] and not guard.tripped
    guard.check(precise=True)  # the idle loop's check is not spaced
    assert calls == [1, 1]
    monkeypatch.setattr(conf, "PRECISE_CHECK_SPACING", 0.0)
    guard.check(precise=False)
    assert calls == [1, 1, 1]
