"""Health checks: a registry every area adds its checks to, run concurrently with per-check timeouts.

Output follows the IETF "Health Check Response Format for HTTP APIs" (application/health+json).
Aggregation is worst-of: a failing critical check fails the service (503), a failing non-critical
one only warns (200). Results are cached for HEALTH_CACHE_SECONDS (3 s) so the endpoint is no DoS amplifier.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from app.procinfo import tree_uss
from config.current import get_settings
from config.settings import Settings

if TYPE_CHECKING:
    from config import Settings

log = logging.getLogger(__name__)
EXTENSION_KEY = "health"
_RANK = {"pass": 0, "warn": 1, "fail": 2}
# Seconds detailed health results are reused: a dashboard polling every few seconds runs the checks once.
HEALTH_CACHE_SECONDS = 3.0


@dataclass
class CheckResult:
    status: str = "pass"
    observed_value: Any = None
    observed_unit: str | None = None
    output: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    note: str | None = None  # a reason safe to show without a token (no host, no driver error): readiness shows it


@dataclass
class Check:
    name: str
    fn: Callable[[], CheckResult]
    critical: bool
    component_type: str
    timeout: float
    measurement: str


class HealthRegistry:
    """The app's checks; each area registers its own when create_app builds it."""

    def __init__(self, app: Flask, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.checks: dict[str, Check] = {}
        self._cache: tuple[float, dict[str, Any]] | None = None
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._executor_pid = 0

    def add(self, check: Check) -> None:
        self.checks[check.name] = check

    def register(self, name: str, fn: Callable[[], CheckResult], *, critical: bool | None = None,
                 component_type: str = "component", timeout: float = 2.0,
                 measurement: str = "responseTime") -> None:
        """Add a check. It is critical when HEALTH_CRITICAL names it, else when `critical` is true."""
        is_critical = name in self.settings.server.health_critical or bool(critical)
        app = self.app

        def in_context() -> CheckResult:  # checks run in pool threads: give them the app context
            with app.app_context():
                return fn()

        self.add(Check(name, in_context, is_critical, component_type, timeout, measurement))

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None or self._executor_pid != os.getpid():  # threads do not survive fork
            self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health")
            self._executor_pid = os.getpid()
        return self._executor

    def run(self, names: list[str] | None = None, use_cache: bool = True) -> dict[str, Any]:
        """Run the checks (all, or `names`) and return {status, checks}."""
        if names is None and use_cache:
            with self._lock:
                if self._cache and time.monotonic() - self._cache[0] < HEALTH_CACHE_SECONDS:
                    return self._cache[1]
        selected = [c for n, c in self.checks.items() if names is None or n in names]
        futures = {c.name: (c, self._pool().submit(_timed, c.fn)) for c in selected}
        checks: dict[str, list[dict[str, Any]]] = {}
        worst = "pass"
        for name, (check, future) in futures.items():
            try:
                result, elapsed = future.result(timeout=check.timeout)
            except FutureTimeout:
                result, elapsed = CheckResult("fail", output=f"timed out after {check.timeout:.1f}s"), check.timeout
            except Exception as exc:  # a check that raises has failed
                result, elapsed = CheckResult("fail", output=f"{exc.__class__.__name__}: {exc}"), 0.0
            status = result.status
            if status == "fail" and not check.critical:
                status = "warn"
            worst = max(worst, status, key=_RANK.__getitem__)
            entry = {
                "componentId": name, "componentType": check.component_type, "status": result.status,
                "critical": check.critical, "observedValue": result.observed_value,
                "observedUnit": result.observed_unit, "time": _now(), "responseTimeMs": round(elapsed * 1000, 2),
            }
            if result.output:
                entry["output"] = result.output
            if result.note:
                entry["note"] = result.note
            if result.details:
                entry["details"] = result.details
            checks[f"{name}:{check.measurement}"] = [entry]
        report = {"status": worst, "checks": checks}
        if names is None:
            with self._lock:
                self._cache = (time.monotonic(), report)
        return report

    def critical_names(self) -> list[str]:
        return [n for n, c in self.checks.items() if c.critical]


def _timed(fn: Callable[[], CheckResult]) -> tuple[CheckResult, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def get_health(app: Flask | None = None) -> HealthRegistry:
    registry: HealthRegistry = (app or current_app).extensions[EXTENSION_KEY]
    return registry


# -- checks every deployment has ------------------------------------------------------------------
def _redis_check() -> CheckResult:
    from app.adapters.cache import get_cache
    from app.adapters.redis import get_redis

    cache = get_cache()
    client = get_redis()
    if not cache.configured or client is None:  # the client exists exactly when REDIS_URL is set
        return CheckResult("warn", "memory", None, "REDIS_URL not set: in-memory cache per worker")
    start = time.perf_counter()
    try:
        client.ping()
    except Exception as exc:
        return CheckResult("warn", "memory", None, f"Redis unreachable ({exc.__class__.__name__}); "
                                                   "cache on the in-memory fallback")
    ms = round((time.perf_counter() - start) * 1000, 2)
    if cache.backend != "redis":
        return CheckResult("warn", ms, "ms", "Redis answers; cache still on fallback until the next probe")
    return CheckResult("pass", ms, "ms")


def _memory_check() -> CheckResult:
    settings = get_settings()
    used = tree_uss()
    ratio = used / settings.server.max_worker_memory
    status = "warn" if ratio > 0.8 else "pass"
    return CheckResult(status, round(used / 1024 ** 2, 1), "MiB",
                       f"{ratio:.0%} of the {settings.server.max_worker_memory // 1024 ** 2} MiB recycle limit")


def _disk_check() -> CheckResult:
    settings = get_settings()
    os.makedirs(settings.logging.dir, exist_ok=True)
    usage = shutil.disk_usage(settings.logging.dir)
    free_pct = usage.free / usage.total * 100
    status = "fail" if free_pct < 2 else "warn" if free_pct < 10 else "pass"
    return CheckResult(status, round(free_pct, 1), "percent free", f"{usage.free // 1024 ** 2} MiB free for logs")


def _app_database_check() -> CheckResult:
    from app.adapters.appdb import current_revision, get_app_engine

    start = time.perf_counter()
    revision = current_revision(get_app_engine())
    ms = round((time.perf_counter() - start) * 1000, 2)
    if revision is None:
        return CheckResult("fail", ms, "ms", "schema not initialised: run `python manage.py db upgrade`")
    return CheckResult("pass", ms, "ms", f"schema revision {revision}")


def init_app(app: Flask, settings: Settings) -> HealthRegistry:
    """The registry with the checks every deployment has; create_app hands it to each area's init."""
    registry = app.extensions[EXTENSION_KEY] = HealthRegistry(app, settings)
    registry.register("redis", _redis_check, component_type="datastore", timeout=1.0)
    registry.register("memory", _memory_check, component_type="system", measurement="utilization")
    registry.register("disk", _disk_check, component_type="system", measurement="utilization")
    registry.register("app_database", _app_database_check, component_type="datastore")
    return registry
