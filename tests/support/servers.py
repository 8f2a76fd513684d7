"""Real processes for integration tests: a Gunicorn master on a free port, a throwaway Redis server."""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[2]
TOKENS = {"viewer": "test-viewer-token", "operator": "test-operator-token", "admin": "test-admin-token"}


def api_tokens_env() -> str:
    return ",".join(f"{role}:{hashlib.sha256(tok.encode()).hexdigest()}" for role, tok in TOKENS.items())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    last_exc: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except Exception as exc:  # keep polling until the deadline
            last_exc = exc
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s (last error: {last_exc})")


# The service plus the test-only endpoints (/api/testing/*), which only the tests register.
TESTING_APP = "tests.testing_api:create_app()"


class GunicornServer:
    """`gunicorn -c gunicorn.conf.py` in testing mode with its own run dir, port and databases."""

    def __init__(self, workers: int = 2, env: dict[str, str] | None = None, threads: int = 4,
                 app: str = TESTING_APP, mdm_schema: bool = True, own_process_group: bool = False) -> None:
        self.app = app
        # A deployed MDM database has its tables (readiness fails without them); False = a fresh empty one.
        self.mdm_schema = mdm_schema
        self.own_process_group = own_process_group  # for signals to the whole group (os.killpg)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.tmp = Path(tempfile.mkdtemp(prefix="techno-etl-gunicorn-"))
        self.env = {
            **os.environ, "APP_ENV": "testing", "HOST": "127.0.0.1", "PORT": str(self.port),
            "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads), "RUN_DIR": str(self.tmp / "run"),
            "APP_DATABASE_URL": f"sqlite:///{self.tmp / 'app.sqlite3'}",
            "MDM_DATABASE_URL": f"sqlite:///{self.tmp / 'mdm.sqlite3'}",
            "LOG_DIR": str(self.tmp / "logs"), "API_TOKENS": api_tokens_env(), "PROMETHEUS_MULTIPROC_DIR": "",
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }
        self.proc: subprocess.Popen | None = None
        self.log_path = self.tmp / "gunicorn.log"

    def start(self, timeout: float = 30.0) -> GunicornServer:
        if self.mdm_schema:
            create_mdm_tables(self.env["MDM_DATABASE_URL"])
        self._log = open(self.log_path, "wb")
        cmd = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", self.app]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=self.own_process_group)
        try:
            probe = "/api/health/ready" if self.mdm_schema else "/api/health"  # not ready without MDM tables
            wait_until(lambda: httpx.get(self.base_url + probe, timeout=1).status_code == 200, timeout=timeout)
            wait_until(lambda: len(self.worker_pids()) >= int(self.env["WEB_CONCURRENCY"]), timeout=timeout)
        except TimeoutError as exc:
            self.stop()
            raise RuntimeError(f"gunicorn did not start:\n{self.log()}") from exc
        return self

    @property
    def run_dir(self) -> Path:
        return Path(self.env["RUN_DIR"])

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            return [c.pid for c in psutil.Process(self.proc.pid).children() if c.is_running()
                    and c.status() != psutil.STATUS_ZOMBIE and "forkserver" not in " ".join(c.cmdline())]
        except psutil.NoSuchProcess:
            return []

    def tree(self) -> list[psutil.Process]:
        return psutil.Process(self.proc.pid).children(recursive=True) if self.proc else []

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def headers(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKENS[role]}"}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self) -> GunicornServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def create_mdm_tables(url: str) -> None:
    """The MDM tables (empty) in the database at `url` (SQLite, PostgreSQL, MariaDB)."""
    from app.adapters.mdm.tables import create_mdm_schema, mdm_engine
    from app.adapters.sql import create_engine_for

    engine = create_engine_for(url, name="mdm", connect_timeout=1)
    try:
        create_mdm_schema(mdm_engine(engine))
    except Exception:  # noqa: BLE001 - an unreachable MDM is some tests' point: the server starts without
        pass
    finally:
        engine.dispose()


class RedisServer:
    """A private redis-server on a spare port that a test may kill and restart."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        wait_until(lambda: redis.Redis(port=self.port, socket_timeout=0.2).ping(), timeout=10)
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.kill()
