"""manage.py: health exit codes against a real server, monit, config check, token create, routes."""
from __future__ import annotations

import subprocess
import sys

import pytest

from app.security import hash_token
from tests.support.servers import ROOT, TOKENS, GunicornServer, free_port


def manage(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=60)


def test_token_create_prints_a_token_and_its_hash():
    out = manage("token", "create", "--role", "operator").stdout
    token = out.split("token:")[1].split()[0]
    assert f"API_TOKENS: operator:{hash_token(token)}" in out


def test_config_check_masks_secrets_and_fails_on_bad_settings():
    good = manage("config", "check", env={"APP_ENV": "development", "MAGENTO_URL": "https://shop",
                                          "MAGENTO_USERNAME": "u", "MAGENTO_PASSWORD": "hunter2"})
    assert good.returncode == 0 and "MAGENTO_PASSWORD=****" in good.stdout and "hunter2" not in good.stdout
    bad = manage("config", "check", "--env", "production", env={"PORT": "x"})
    assert bad.returncode == 1 and "PORT" in bad.stderr and "SECRET_KEY" in bad.stderr


def test_config_check_names_a_removed_variable_that_is_still_set():
    result = manage("config", "check", env={"APP_ENV": "development", "CACHE_FALLBACK_MAX_TTL": "30"})
    assert result.returncode == 0
    assert "CACHE_FALLBACK_MAX_TTL is no longer a setting (now app/adapters/cache.py FALLBACK_MAX_TTL)" in result.stderr
    assert "CACHE_FALLBACK_MAX_TTL" not in result.stdout  # not among the effective settings


def test_routes_lists_roles():
    out = manage("routes", env={"APP_ENV": "testing"}).stdout
    assert "/api/health/ready" in out and "public" in out and "/api/test" in out


def test_health_unreachable_exits_3():
    result = manage("health", "--url", f"http://127.0.0.1:{free_port()}", "--timeout", "1")
    assert result.returncode == 3 and "unreachable" in result.stderr


@pytest.mark.slow
def test_health_and_monit_against_a_running_gunicorn():
    with GunicornServer(workers=2) as server:
        ready = manage("health", "--url", server.base_url)
        assert ready.returncode == 0, ready.stdout + ready.stderr  # readiness passes
        detailed = manage("health", "--url", server.base_url, "--token", TOKENS["viewer"])
        assert detailed.returncode == 1  # no Redis configured: warn
        assert "redis" in detailed.stdout and "WARN" in detailed.stdout
        monit = manage("monit", "--once", env={"RUN_DIR": server.env["RUN_DIR"]})
        assert monit.returncode == 0, monit.stderr
        for pid in server.worker_pids():
            assert str(pid) in monit.stdout
