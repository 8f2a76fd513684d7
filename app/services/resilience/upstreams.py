"""Wiring of breakers and bulkheads into the app: which upstreams, their stores, guards, health and metrics.

Upstreams: "magento" (breaker + per-worker and per-host bulkhead, installed with MagentoClient.set_guard),
"mdm_database" (breaker + per-worker bulkhead) and "app_database" (breaker), both installed with
app.adapters.sql.install_guard on the engines named "mdm" and "app_database".

The MDM bulkhead exists because the Gunicorn test showed it is needed: with the MDM connect hanging,
grid requests held every thread until the breaker opened and Magento traffic queued behind them.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, current_app

from app.adapters import redis as redis_adapter
from app.adapters import sql
from app.errors import DependencyUnavailable, UpstreamHTTPError, UpstreamTimeout, UpstreamUnavailable
from app.services.resilience.breaker import BreakerOpen, CircuitBreaker, database_open_error, magento_open_error
from app.services.resilience.bulkhead import STALL_MIN, Bulkhead, BulkheadRefusal
from app.services.resilience.state import CLOSED, HALF_OPEN, BreakerPolicy
from app.services.resilience.store import BreakerStore, FallbackStore, LocalStore, RedisStore
from config import budgets
from config.sections import ResilienceSettings
from config.settings import Settings

if TYPE_CHECKING:
    from redis import Redis

    from app.adapters.magento import MagentoClient
    from app.services.health import HealthRegistry
    from config import Settings

T = TypeVar("T")
EXTENSION_KEY = "resilience"
MAGENTO = "magento"
# breaker name -> engine logging_name (app/adapters/sql.py labels engines with it)
DATABASES = {"mdm_database": "mdm", "app_database": "app_database"}
# Seconds a worker trusts its in-memory copy of a *closed* breaker's record before re-reading the shared
# store; transitions are always written through at once (breaker.py). Profiled: two store reads per
# Magento call were ~1.7 ms of the proxy's overhead with Redis.
STATE_REFRESH = 1.0


@dataclass
class Resilience:
    """Per-app registry: breakers and bulkheads by upstream name (app.extensions["resilience"])."""

    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)
    bulkheads: dict[str, Bulkhead] = field(default_factory=dict)
    store: BreakerStore | None = None

    def magento_guard(self, call: Callable[[], T], info: Any) -> T:
        """The Magento client's guard: breaker first (an open one answers before any wait), then the bulkhead."""
        breaker, bulkhead = self.breakers.get(MAGENTO), self.bulkheads.get(MAGENTO)
        deadline = getattr(info, "deadline", None)  # the wait for a slot is part of the call's budget
        with breaker.guard() if breaker else nullcontext(), \
                bulkhead.slot(deadline) if bulkhead else nullcontext():
            return call()

    def metrics_section(self, data: dict[str, Any]) -> dict[str, Any]:
        transitions: dict[str, dict[str, int]] = {}
        for labels, value in data.get("techno_etl_breaker_transitions_total", []):
            transitions.setdefault(labels.get("upstream", ""), {})[labels.get("to", "")] = int(value)
        rejected: dict[str, dict[str, int]] = {}
        for labels, value in data.get("techno_etl_breaker_rejected_total", []):
            rejected.setdefault(labels.get("upstream", ""), {})[labels.get("reason", "")] = int(value)
        out: dict[str, Any] = {}
        for name, breaker in self.breakers.items():
            out[name] = {**breaker.snapshot().as_dict(), "transitions": transitions.get(name, {}),
                         "rejected": rejected.get(name, {})}
        for name, bulkhead in self.bulkheads.items():
            out.setdefault(name, {"rejected": rejected.get(name, {})})["bulkhead"] = {
                "perWorker": bulkhead.per_process, "perHost": bulkhead.per_host, "waitSeconds": bulkhead.wait,
                "queuePerWorker": bulkhead.max_waiting, "hostInUse": bulkhead.host_in_use(),
                **bulkhead.stats()}
        return out


def classify_magento(exc: BaseException) -> bool | None:
    """Timeouts, unreachable and 5xx count; a 4xx is Magento answering (not an outage); our refusals are neither."""
    if isinstance(exc, (BreakerOpen, BulkheadRefusal)):
        return None
    if isinstance(exc, UpstreamHTTPError):
        return exc.status >= 500
    if isinstance(exc, (UpstreamUnavailable, UpstreamTimeout)):
        return True
    return None


def classify_database(exc: BaseException) -> bool | None:
    """sql.translate_errors turns unreachable/timed out/dropped into DependencyUnavailable; bugs stay bugs."""
    if isinstance(exc, (BreakerOpen, BulkheadRefusal)):
        return None
    if isinstance(exc, DependencyUnavailable):
        return True
    return None


def make_store(settings: Settings, redis_client: Redis | None) -> BreakerStore:
    local = LocalStore(os.path.join(settings.server.run_dir, "breakers.sqlite3"))
    if redis_client is None:
        return local
    return FallbackStore(RedisStore(redis_client), local, probe_interval=redis_adapter.PROBE_INTERVAL)


def _chain(*guards: Callable[[], AbstractContextManager[Any]]) -> Callable[[], AbstractContextManager[None]]:
    @contextmanager
    def guarded() -> Iterator[None]:
        with ExitStack() as stack:
            for guard in guards:  # in order: an open breaker refuses before any bulkhead wait
                stack.enter_context(guard())
            yield
    return guarded


def init_app(app: Flask, settings: Settings, redis_client: Redis | None, client: MagentoClient,
             health: HealthRegistry) -> Resilience:
    """Build the breakers and bulkheads from settings and install them: on the Magento `client` (its guard) and
    on the engines by name (app.adapters.sql guards every engine named "mdm" / "app_database")."""
    from app.services.metrics_summary import register_section

    res = Resilience()
    app.extensions[EXTENSION_KEY] = res
    if settings.resilience.breakers_enabled:
        res.store = make_store(settings, redis_client)
        # A probe's lease is the longest call it may be: a background Magento call, or one database session.
        res.breakers[MAGENTO] = CircuitBreaker(
            MAGENTO, _policy(settings.resilience, budgets.magento_job_budget(settings)), res.store,
            classify=classify_magento,
            open_error=magento_open_error, refresh=STATE_REFRESH)
        for name in DATABASES:
            res.breakers[name] = CircuitBreaker(name, _policy(settings.resilience, budgets.db_call_budget(settings)),
                                                res.store,
                                                classify=classify_database, open_error=database_open_error,
                                                refresh=STATE_REFRESH)
        for name in res.breakers:
            _register_health(health, name, critical=name in DATABASES)
    if settings.resilience.bulkheads_enabled:
        # Magento calls pass their own deadline: each waits at most half of what is left of its budget.
        cap = budgets.magento_per_worker(settings)
        res.bulkheads[MAGENTO] = Bulkhead(MAGENTO, cap, settings.resilience.magento_max_concurrent_per_host,
                                          settings.resilience.bulkhead_wait,
                                          os.path.join(settings.server.run_dir, "bulkheads"),
                                          max_waiting=budgets.max_waiting(settings, cap))
        mdm_cap = budgets.mdm_per_worker(settings)  # the MDM pool's capacity: never tighter than the pool
        res.bulkheads["mdm_database"] = Bulkhead(
            "mdm_database", mdm_cap, 0, budgets.slot_wait(settings, budgets.db_call_budget(settings)),
            max_waiting=budgets.max_waiting(settings, mdm_cap), label="MDM database", database=True,
            # A database answers in milliseconds: no call time yet is no reason to wait 2 s before calling a
            # hang a hang (that allowance is for a slow shop's first pages, on the Magento bulkhead).
            first_stall=STALL_MIN)
    for name, engine_name in DATABASES.items():
        parts = [g for g in (getattr(res.breakers.get(name), "guard", None),
                             getattr(res.bulkheads.get(name), "slot", None)) if g is not None]
        if parts:
            sql.install_guard(app, engine_name, _chain(*parts))
    if res.breakers or res.bulkheads:
        client.set_guard(res.magento_guard)
    register_section(app, "breakers", res.metrics_section)
    return res


def _policy(resilience: ResilienceSettings, call_budget: float) -> BreakerPolicy:
    return BreakerPolicy(failure_threshold=max(1, resilience.breaker_failure_threshold),
                         reset_timeout=resilience.breaker_reset_timeout, probe_lease=call_budget + 1.0)


def _register_health(health: HealthRegistry, name: str, *, critical: bool) -> None:
    from app.services.health import CheckResult

    def check() -> CheckResult:
        snap = get_resilience().breakers[name].snapshot()
        details = snap.as_dict()
        if snap.state == CLOSED:
            return CheckResult("pass", snap.state, None, details=details)
        if snap.state == HALF_OPEN:
            return CheckResult("warn", snap.state, None, "probing whether the upstream is back", details)
        # Open: fail, which only warns unless the breaker is critical (databases; HEALTH_CRITICAL may add more).
        return CheckResult("fail", snap.state, None,
                           f"open after {snap.last_failure or 'failures'}; next probe in {snap.retry_after:.0f} s",
                           details)

    health.register(f"{name}_breaker", check, critical=critical, component_type="component",
                    timeout=1.0, measurement="state")


def get_resilience() -> Resilience:
    resilience: Resilience = current_app.extensions[EXTENSION_KEY]
    return resilience
