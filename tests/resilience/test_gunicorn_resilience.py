"""Under the real Gunicorn (2 gthread workers x 4 threads): a hanging upstream never starves the backend.

Four threads (not the default 16) make starvation easy to provoke: the bulkheads must keep a thread free.

Figures printed with `-s` are the ones recorded in docs/resilience.md.
"""
from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.resilience.load import Load, p99
from tests.support.sandbox import ADMIN
from tests.support.servers import GunicornServer, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]
RESET_TIMEOUT = 3.0
MAGENTO_BUDGET = 2.0
MAGENTO_ROUTE = "/api/testing/magento/store-configs"


class LivenessStartedServer(GunicornServer):
    """GunicornServer that waits for liveness only: readiness is *meant* to fail while the MDM is down."""

    def start(self, timeout: float = 30.0) -> GunicornServer:
        import subprocess
        import sys

        from tests.support.servers import ROOT

        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", self.app], cwd=ROOT,
                                     env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: httpx.get(self.base_url + "/api/health", timeout=1).status_code == 200, timeout)
            wait_until(lambda: len(self.worker_pids()) >= int(self.env["WEB_CONCURRENCY"]), timeout=timeout)
        except TimeoutError as exc:
            self.stop()
            raise RuntimeError(f"gunicorn did not start:\n{self.log()}") from exc
        return self


def _env(sandbox_url: str, mdm_url: str, **extra: str) -> dict[str, str]:
    return {"MAGENTO_URL": sandbox_url, "MAGENTO_USERNAME": ADMIN["username"],
            "MAGENTO_PASSWORD": ADMIN["password"], "MDM_DATABASE_URL": mdm_url,
            "BREAKERS_ENABLED": "1", "BULKHEADS_ENABLED": "1", "BREAKER_RESET_TIMEOUT": str(RESET_TIMEOUT),
            "MAGENTO_RETRY_MAX_TIME": str(MAGENTO_BUDGET), "MAGENTO_TIMEOUT_READ": "1.5",
            "MAGENTO_TIMEOUT_CONNECT": "1", "RATE_LIMIT_ENABLED": "0", "LOG_LEVEL": "INFO",
            "DB_CONNECT_TIMEOUT": "1", "DB_STATEMENT_TIMEOUT": "5", **extra}


def _sqlite_mdm(tmp_path: Path) -> str:
    from app.adapters.mdm.tables import create_mdm_schema, mdm_engine
    from app.adapters.sql import create_engine_for

    url = f"sqlite:///{tmp_path / 'mdm.sqlite3'}"
    engine = create_engine_for(url, name="mdm")
    create_mdm_schema(mdm_engine(engine))
    engine.dispose()
    return url


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A port that listens but never accepts: connects complete (or queue) and then nothing ever answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def _loads(server: GunicornServer) -> dict[str, Load]:
    viewer = server.headers("viewer")
    base = server.base_url
    return {
        "magento": Load(base + MAGENTO_ROUTE, viewer, clients=6, interval=0.02),
        "health": Load(base + "/api/health", {}, interval=0.05),
        "ready": Load(base + "/api/health/ready", {}, interval=0.05),
        "inventory": Load(base + "/api/mdm/inventory", viewer, interval=0.05),
    }


def _is_breaker_503(sample) -> bool:
    return sample.status == 503 and (sample.body or {}).get("details", {}).get("breaker") == "open"


def _report(name: str, figures: dict) -> None:
    print(f"\n[resilience] {name}: {json.dumps(figures)}")


def test_hanging_magento_opens_the_breaker_and_the_rest_keeps_answering(sandbox_url, control, tmp_path) -> None:
    with GunicornServer(workers=2, threads=4, env=_env(sandbox_url, _sqlite_mdm(tmp_path))) as server:
        loads = _loads(server)
        started = time.monotonic()
        for load in loads.values():
            load.start()
        try:
            time.sleep(2.0)
            control.post("faults", json={"hang": True}).raise_for_status()
            hung = time.monotonic()
            opened = wait_until(lambda: next((s.at + s.seconds for s in loads["magento"].samples
                                              if s.at >= hung and _is_breaker_503(s)), None), timeout=20)
            time.sleep(4.0)  # a steady state with the breaker open (and failed probes re-opening it)
            control.delete("faults").raise_for_status()
            recovered = time.monotonic()
            closed = wait_until(lambda: next((s.at + s.seconds for s in loads["magento"].samples
                                              if s.at >= recovered and s.status == 200), None), timeout=15)
            time.sleep(1.0)
        finally:
            for load in loads.values():
                load.stop()
        detailed = httpx.get(server.base_url + "/api/metrics", headers=server.headers("viewer")).json()
        log = server.log()

    baseline = {name: p99(load.between(started, hung)) for name, load in loads.items()}
    during = {name: p99(load.between(hung, recovered)) for name in ("health", "ready", "inventory")
              for load in [loads[name]]}
    fast = [s for s in loads["magento"].between(opened, recovered) if _is_breaker_503(s)]
    figures = {"baselineP99ms": {k: round(v * 1000, 1) for k, v in baseline.items()},
               "hangP99ms": {k: round(v * 1000, 1) for k, v in during.items()},
               "openFailFastP99ms": round(p99(fast) * 1000, 1), "secondsToOpen": round(opened - hung, 2),
               "secondsToClose": round(closed - recovered, 2),
               "magentoStatusesDuringHang": _count(loads["magento"].between(hung, recovered))}
    _report("magento hang", figures)

    for name in ("health", "ready", "inventory"):
        errors = [s.status for s in loads[name].between(started, time.monotonic()) if s.status != 200]
        assert errors == [], f"{name} answered {errors}"
        assert during[name] < 0.5, f"{name} p99 {during[name]:.3f}s while Magento hangs"
    assert opened - hung < 3 * MAGENTO_BUDGET + 2
    assert p99(fast) < 0.1  # fail fast: no Magento call, no bulkhead wait
    assert closed - recovered < RESET_TIMEOUT + 1.5
    section = detailed["breakers"]["magento"]
    assert section["state"] == "closed" and section["openedCount"] >= 1
    assert log.count("circuit breaker magento: closed -> open") == 1  # one line for both workers
    assert log.count("circuit breaker magento: half-open -> closed") == 1
    assert log.count("-> open") == section["openedCount"] == section["transitions"]["open"]


def test_unreachable_mdm_database_leaves_magento_traffic_unaffected(sandbox_url, blackhole, tmp_path) -> None:
    mdm_url = f"postgresql+psycopg://mdm@127.0.0.1:{blackhole}/mdm"
    # The MDM bulkhead is the MDM pool's capacity (2 x DB_POOL_SIZE); with 4 threads a pool of 1 (+1 overflow)
    # leaves half of them for everything else, as the default 16 threads do with the default pool of 5 (+5).
    env = _env(sandbox_url, mdm_url, DB_POOL_SIZE="1")
    with LivenessStartedServer(workers=2, threads=4, env=env) as server:
        loads = _loads(server)
        loads["magento"] = Load(server.base_url + MAGENTO_ROUTE, server.headers("viewer"), clients=2, interval=0.05)
        loads["inventory"] = Load(loads["inventory"].url, loads["inventory"].headers, clients=4, interval=0.05)
        started = time.monotonic()
        for load in loads.values():
            load.start()
        try:
            time.sleep(8.0)
        finally:
            for load in loads.values():
                load.stop()
        metrics = httpx.get(server.base_url + "/api/metrics", headers=server.headers("viewer")).json()

    inventory = loads["inventory"].samples
    opened = next(s.at + s.seconds for s in inventory if _is_breaker_503(s))
    magento = loads["magento"].samples
    figures = {"magentoP99ms": round(p99(magento) * 1000, 1),
               "healthP99ms": round(p99(loads["health"].samples) * 1000, 1),
               "readyP99ms": round(p99(loads["ready"].samples) * 1000, 1),
               "inventoryP99msAfterOpen": round(p99([s for s in inventory if s.at > opened]) * 1000, 1),
               "secondsToOpen": round(opened - started, 2), "inventoryStatuses": _count(inventory),
               "readyStatuses": _count(loads["ready"].samples)}
    _report("mdm unreachable", figures)

    assert {s.status for s in magento} == {200}, _count(magento)
    assert p99(magento) < 0.5
    assert {s.status for s in inventory} == {503}
    assert p99([s for s in inventory if s.at > opened]) < 0.1
    assert metrics["breakers"]["mdm_database"]["state"] in ("open", "half-open")
    assert metrics["breakers"]["magento"]["state"] == "closed"


def _count(samples) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in samples:
        key = str(s.status) + ("/open" if _is_breaker_503(s) else "")
        out[key] = out.get(key, 0) + 1
    return out
