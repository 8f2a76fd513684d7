"""The per-worker image pool: tasks, typed errors across processes, timeouts, signals, clean stops."""
from __future__ import annotations

import json
import multiprocessing.forkserver
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from app.errors import InvalidInput
from app.services.images.batch import process_paths
from app.services.images.health import image_pool_check
from tests.images.imagegen import encode, textured
from tests.support.servers import wait_until
from workers import pool as pool_module
from workers import tasks
from workers.pool import (
    ImagePool,
    ImagePoolRestarted,
    ImageQueueFull,
    ImageTaskTimeout,
    default_max_admitted,
    default_pool_size,
    get_image_pool,
    shutdown_image_pool,
)

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def gone(pids: list[int], within: float = 5.0) -> bool:
    """True once none of `pids` is a live process (a zombie awaiting its reaper counts as gone)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    alive.append(pid)
            except psutil.NoSuchProcess:
                pass
        if not alive:
            return True
        time.sleep(0.05)
    return False


def wait_for(predicate, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def pool_processes() -> list[psutil.Process]:
    """This process's descendants except multiprocessing's resource tracker (it exits with us)."""
    return [c for c in psutil.Process().children(recursive=True)
            if "resource_tracker" not in " ".join(c.cmdline())]


@pytest.fixture
def pool():
    p = ImagePool(2, task_timeout=10)
    yield p
    p.stop()


@pytest.fixture
def small_jpeg() -> bytes:
    return encode(textured(640, 480), "JPEG", quality=90)


def test_pool_runs_image_operations(pool, small_jpeg):
    result = pool.process(small_jpeg, [{"op": "variants", "sizes": [300, 150]}])
    assert [(o.width, o.height) for o in result.outputs] == [(300, 300), (150, 150)]
    stats = pool.stats()
    assert stats["tasksDone"] == 1 and stats["started"] and len(stats["children"]) == 2
    assert stats["peakChildRssBytes"] > 0


def test_typed_error_crosses_the_pool_and_the_pool_survives(pool, small_jpeg):
    with pytest.raises(InvalidInput, match="truncated or corrupt") as info:
        pool.process(small_jpeg[:2000], [{"op": "resize"}])
    assert info.value.status == 400
    children = pool.stats()["children"]
    assert pool.process(small_jpeg, [{"op": "thumbnail"}]).outputs[0].width == 150
    assert pool.stats()["children"] == children  # no recycle for an input error
    assert pool.stats()["tasksFailed"] == 1


def test_timeout_raises_504_and_kills_only_the_process_running_that_task():
    p = ImagePool(2, task_timeout=10)
    try:
        outcome: dict[str, object] = {}

        def other_task() -> None:
            try:
                outcome["value"] = p.run(tasks.sleep_for, 2.0, op="sleep")
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                outcome["error"] = exc

        neighbour = threading.Thread(target=other_task)
        neighbour.start()
        wait_for(lambda: p.stats()["busy"] == 1)
        before = set(p.stats()["children"])
        started = time.monotonic()
        with pytest.raises(ImageTaskTimeout) as info:
            p.run(tasks.sleep_for, 30, op="sleep", timeout=0.4)
        assert info.value.status == 504 and time.monotonic() - started < 3
        neighbour.join(timeout=10)
        assert outcome == {"value": 2.0}  # the neighbour task ran to its end, not lost in a recycle
        stats = p.stats()
        assert stats["recycles"] == 0 and stats["timeouts"] == 1
        assert len(before - set(stats["children"])) == 1  # exactly one process replaced
        killed = (before - set(stats["children"])).pop()
        assert gone([killed])
        assert p.run(tasks.probe, op="probe")["pid"] in p.stats()["children"]  # the pool serves on
    finally:
        p.stop()


def test_time_waiting_for_a_process_is_not_part_of_the_run_timeout():
    p = ImagePool(1, task_timeout=1.0)
    try:
        p.run(tasks.probe, op="probe")  # started: no start-up time in what follows
        first = threading.Thread(target=lambda: p.run(tasks.sleep_for, 0.8, op="sleep"))
        first.start()
        wait_for(lambda: p.stats()["busy"] == 1)
        started = time.monotonic()
        # Waits ~0.8 s for the only process, then runs 0.6 s: 1.4 s in all, over the 1 s run timeout.
        assert p.run(tasks.sleep_for, 0.6, op="sleep") == 0.6
        assert time.monotonic() - started > 1.0
        first.join()
        assert p.stats()["timeouts"] == 0
    finally:
        p.stop()


def test_a_full_admission_refuses_at_once_with_retry_after():
    p = ImagePool(1, max_admitted=2)
    with p.admission(), p.admission():
        started = time.monotonic()
        with pytest.raises(ImageQueueFull) as info:
            with p.admission():
                pass
        assert time.monotonic() - started < 0.1
        assert (info.value.status, info.value.code) == (503, "image_queue_full")
        assert info.value.headers["Retry-After"] == "2"
        assert p.stats()["refused"] == 1
    with p.admission():  # places are given back when the requests end
        pass


@pytest.mark.parametrize(("size", "queue", "threads", "expected"), [(1, 2, 4, 3), (1, 10, 4, 3), (2, 0, 4, 2),
                                                                    (1, 0, 1, 1)])
def test_admitted_image_requests_stay_below_the_worker_threads(size, queue, threads, expected):
    assert default_max_admitted(size, queue, threads) == expected


def test_a_queued_task_gives_up_after_the_queue_wait():
    p = ImagePool(1, task_timeout=10, queue_wait=0.3)
    try:
        busy = threading.Thread(target=lambda: p.run(tasks.sleep_for, 1.5, op="sleep"))
        busy.start()
        wait_for(lambda: p.stats()["busy"] == 1)
        with pytest.raises(ImageQueueFull):
            p.run(tasks.probe, op="probe")
        busy.join()
    finally:
        p.stop()


def test_children_reset_signals_and_ignore_sigint(pool):
    info = pool.run(tasks.probe, op="probe")
    assert info["signals"] == {"SIGINT": "ignore", "SIGTERM": "default", "SIGQUIT": "default"}
    # Out of the worker's process group: a group-wide SIGTERM is for the worker, which stops them.
    assert os.getpgid(info["pid"]) == info["pid"] != os.getpgrp()
    for pid in pool.stats()["children"]:
        os.kill(pid, signal.SIGINT)
    time.sleep(0.2)
    assert all(psutil.pid_exists(pid) for pid in pool.stats()["children"])
    assert pool.run(tasks.probe, op="probe")["pid"] in pool.stats()["children"]


def test_stop_leaves_no_child_process():
    pool_module.reset_for_tests()
    pool_module.configure_image_pool(size=2, task_timeout=10)
    try:
        p = get_image_pool()
        assert p.size == 2
        p.run(tasks.probe, op="probe")
        assert len(pool_processes()) == 3  # forkserver + 2 pool processes
        shutdown_image_pool()
        assert gone([c.pid for c in pool_processes()], within=3)
        with pytest.raises(Exception, match="shut down"):
            get_image_pool()
    finally:
        pool_module.reset_for_tests()


def test_pool_processes_die_when_their_worker_is_sigkilled():
    script = ("import json, sys, time, psutil\n"
              "from workers.pool import ImagePool\nfrom workers import tasks\n"
              "p = ImagePool(2)\np.run(tasks.probe, op='probe')\n"
              "print(json.dumps([c.pid for c in psutil.Process().children(recursive=True)]), flush=True)\n"
              "time.sleep(60)\n")
    worker = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        descendants = json.loads(worker.stdout.readline())
        assert len(descendants) >= 3  # forkserver + 2 pool processes (+ resource tracker)
        worker.kill()
        worker.wait(timeout=5)
        assert gone(descendants), "pool processes outlived their SIGKILLed worker"
    finally:
        if worker.poll() is None:
            worker.kill()


def test_refuses_to_start_in_the_gunicorn_master(monkeypatch):
    monkeypatch.setenv(pool_module.MASTER_PID_ENV, str(os.getpid()))
    with pytest.raises(RuntimeError, match="master"):
        ImagePool(1).run(tasks.probe, op="probe")


@pytest.mark.parametrize("cpus, web, expected", [(2, 2, 1), (8, 2, 3), (16, 4, 3), (1, 1, 1), (None, 1, 1),
                                                 (32, 1, 31)])
def test_default_pool_size_fits_the_cores(cpus, web, expected):
    assert default_pool_size(cpus, web) == expected
    if cpus and cpus >= 2 * web:
        assert web * (1 + expected) <= cpus


def test_pool_errors_are_picklable():
    for error in (ImageTaskTimeout("image_pool", "slow"),
                  ImagePoolRestarted("image_pool", "retry", headers={"Retry-After": "1"}),
                  ImageQueueFull("image_pool", "full", headers={"Retry-After": "2"})):
        copy = pickle.loads(pickle.dumps(error))
        assert (type(copy), copy.status, copy.code, copy.message, copy.headers) == (
            type(error), error.status, error.code, error.message, error.headers)


def test_health_check_reports_the_pool(small_jpeg):
    pool_module.reset_for_tests()
    try:
        assert image_pool_check().status == "pass"  # not started: fine, and not started by the check
        assert pool_module.peek_image_pool() is None
        pool_module.configure_image_pool(size=1)
        get_image_pool().process(small_jpeg, [{"op": "thumbnail"}])
        result = image_pool_check()
        assert result.status == "pass" and result.details["size"] == 1 and result.details["tasksDone"] == 1
    finally:
        pool_module.reset_for_tests()


def test_process_paths_writes_variants_and_reports_bad_files(pool, tmp_path, small_jpeg):
    good = tmp_path / "in" / "chair.jpg"
    bad = tmp_path / "in" / "notes.jpg"
    good.parent.mkdir()
    good.write_bytes(small_jpeg)
    bad.write_bytes(b"this is not a picture")
    seen: list[tuple[int, int]] = []
    results = process_paths([good, bad, tmp_path / "missing.jpg"], tmp_path / "out", (300, 150),
                            lambda done, total, result: seen.append((done, total)), pool=pool)
    assert [r.ok for r in results] == [True, False, False]
    assert sorted(Path(p).name for p in results[0].outputs) == ["chair_150x150.jpg", "chair_300x300.jpg"]
    assert results[1].error == "unsupported_media_type" and results[2].error == "io_error"
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_the_forkserver_ignores_sigterm_and_its_children_do_not():
    started = threading.Thread(target=pool_module.start_forkserver)  # as the pool does: from a request thread
    started.start()
    started.join()
    server_pid = multiprocessing.forkserver._forkserver._forkserver_pid

    def ignores_sigterm() -> bool:
        status = Path(f"/proc/{server_pid}/status").read_text()
        ignored = int(next(line for line in status.splitlines() if line.startswith("SigIgn")).split()[1], 16)
        return bool(ignored & (1 << (signal.SIGTERM - 1)))

    # Set as the server imports its preload list (workers/forkserver_setup.py), just after it starts.
    assert wait_until(ignores_sigterm, timeout=20), "a group SIGTERM would kill the forkserver"
    child = multiprocessing.get_context("forkserver").Process(target=time.sleep, args=(30,))
    child.start()  # no pool initializer: what a new pool process is until init_child has run
    child.terminate()
    child.join(5)
    assert child.exitcode == -signal.SIGTERM
