"""Shared fixtures: app/client/runner, tokens per role, and real services on loopback."""
from __future__ import annotations

import os
import socket
import tempfile

# Before anything imports prometheus_client: one private metrics directory for this test run.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="techno-etl-test-metrics-")
os.environ["APP_ENV"] = "testing"

import pytest  # noqa: E402

from tests.support.servers import TOKENS, api_tokens_env  # noqa: E402

pytest_plugins = ["tests.support.sandbox"]

IN_CI = os.environ.get("CI", "").lower() == "true"
SERVICES = {
    # TEST_REDIS_DB lets parallel test runs on one machine keep out of each other's keys.
    "redis": ("127.0.0.1", 6379, f"redis://127.0.0.1:6379/{os.environ.get('TEST_REDIS_DB', '15')}"),
    "postgres": ("127.0.0.1", 5432, "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "mariadb": ("127.0.0.1", 3306, "mysql+pymysql://root@127.0.0.1:3306/test"),
}


def require_service(name: str) -> str:
    """The service's URL; fails under CI=true when it is down (skips elsewhere)."""
    host, port, url = SERVICES[name]
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        message = f"{name} is not reachable on {host}:{port}"
        if IN_CI:
            pytest.fail(message + " (CI=true: .ci/run must start it)")
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def tmp_state(tmp_path_factory):
    """The default apps' state directory; its MDM database has the MDM tables (empty), as a deployed one
    has (without them readiness fails and MDM routes answer 503 mdm_schema_missing)."""
    from tests.support.servers import create_mdm_tables

    state = tmp_path_factory.mktemp("state")
    create_mdm_tables(f"sqlite:///{state / 'mdm.sqlite3'}")
    return state


@pytest.fixture
def make_app(tmp_state):
    """Build an app with settings overrides; each app is independent (own registry, spec, limiter)."""
    from app import create_app
    from config.parsers import _tokens
    from tests.support.client import ServerLikeClient
    from tests.testing_api import register as register_testing_api

    def factory(**overrides):
        base = {
            "API_TOKENS": _tokens(api_tokens_env()),
            "APP_DATABASE_URL": f"sqlite:///{tmp_state / 'app.sqlite3'}",
            "MDM_DATABASE_URL": f"sqlite:///{tmp_state / 'mdm.sqlite3'}",
            "RUN_DIR": str(tmp_state / "run"),
            "LOG_FILES": False,
        }
        base.update(overrides)
        app = register_testing_api(create_app("testing", overrides=base))
        app.test_client_class = ServerLikeClient
        return app
    return factory


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture
def auth():
    def headers(role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKENS[role]}"}
    return headers


@pytest.fixture
def redis_url():
    return require_service("redis")


@pytest.fixture
def pg_url():
    return require_service("postgres")


@pytest.fixture
def maria_url():
    return require_service("mariadb")
