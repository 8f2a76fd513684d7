"""Several instances on one host: each master has its own pid file and control socket under RUN_DIR."""
from __future__ import annotations

import os
import signal

import pytest
from gunicorn.ctl.client import ControlClient

from tests.support.servers import GunicornServer, wait_until

pytestmark = pytest.mark.slow


def _ctl_workers(server: GunicornServer) -> set[int]:
    with ControlClient(str(server.run_dir / "gunicorn.ctl"), timeout=10) as client:
        return {w["pid"] for w in client.send_command("show workers")["workers"]}


def test_two_instances_side_by_side_are_reached_and_reloaded_independently():
    with GunicornServer(workers=1) as first, GunicornServer(workers=1) as second:
        assert first.run_dir != second.run_dir
        for server in (first, second):
            assert int((server.run_dir / "gunicorn.pid").read_text()) == server.proc.pid
            assert _ctl_workers(server) == set(server.worker_pids())  # each socket reaches its own master

        # HUP through the first instance's pid file replaces only its workers.
        before_first, before_second = set(first.worker_pids()), set(second.worker_pids())
        os.kill(int((first.run_dir / "gunicorn.pid").read_text()), signal.SIGHUP)
        wait_until(lambda: set(first.worker_pids()) and not set(first.worker_pids()) & before_first, timeout=60)
        assert set(second.worker_pids()) == before_second

        # A reload through the second instance's control socket replaces only its workers.
        with ControlClient(str(second.run_dir / "gunicorn.ctl"), timeout=10) as client:
            assert client.send_command("reload")["status"] == "reloading"
        wait_until(lambda: set(second.worker_pids()) and not set(second.worker_pids()) & before_second, timeout=60)
        # (a stopped worker stays in the master's table until it is reaped: wait for that)
        for server in (first, second):
            wait_until(lambda server=server: _ctl_workers(server) == set(server.worker_pids()), timeout=30)
