"""`manage.py up` under a supervisor: a signal to it alone stops Gunicorn and the sandbox, and its status is theirs."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.servers import ROOT, api_tokens_env, free_port, wait_until

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_up_forwards_the_signal_to_its_children_and_exits_with_their_status(sig):
    tmp = Path(tempfile.mkdtemp(prefix="techno-etl-up-"))
    port, sandbox_port = free_port(), free_port()
    env = {**os.environ, "APP_ENV": "testing", "HOST": "127.0.0.1", "PORT": str(port),
           "WEB_CONCURRENCY": "1", "SANDBOX_PORT": str(sandbox_port), "RUN_DIR": str(tmp / "run"),
           "LOG_DIR": str(tmp / "logs"), "APP_DATABASE_URL": f"sqlite:///{tmp / 'app.sqlite3'}",
           "MDM_DATABASE_URL": f"sqlite:///{tmp / 'mdm.sqlite3'}",
           "API_TOKENS": api_tokens_env(), "PROMETHEUS_MULTIPROC_DIR": "", "MAGENTO_URL": ""}
    log = open(tmp / "up.log", "wb")
    # Its own session: only this test signals it (and the clean-up below can reach every leftover).
    up = subprocess.Popen([sys.executable, "manage.py", "up"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                          start_new_session=True)
    try:
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200,
                   timeout=90)
        assert httpx.get(f"http://127.0.0.1:{sandbox_port}/__sandbox/stats", timeout=5).status_code == 200
        children = psutil.Process(up.pid).children(recursive=True)
        assert len(children) >= 3  # the sandbox, the Gunicorn master and its worker

        started = time.monotonic()
        up.send_signal(sig)  # to `manage.py up` alone, as systemd's or docker's stop does
        assert up.wait(timeout=40) == 0, (tmp / "up.log").read_text(errors="replace")[-3000:]
        assert time.monotonic() - started < 35
        wait_until(lambda: not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE],
                   timeout=10)
    finally:
        if up.poll() is None:
            up.kill()
        try:
            os.killpg(up.pid, signal.SIGKILL)  # anything left behind by a failed run
        except ProcessLookupError:
            pass
        log.close()
