"""Magento business logic over the adapter's client: the proxy, login, charts, product routes, dashboard.

`init_app(app)` registers the non-critical `magento` health check (one short, unretried call).
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from flask import Flask, current_app

from app.adapters.magento import CacheTokenStore, MagentoClient, RetryPolicy, config_from_settings
from app.services.health import CheckResult, HealthRegistry

if TYPE_CHECKING:
    from config import Settings

PROBE_KEY = "magento_probe"


def _probe_client(settings: Settings) -> MagentoClient:
    """A client for the health probe: one attempt within MAGENTO_HEALTH_TIMEOUT, the shared admin token.

    Not the app's client: its retries and 45 s budget would outlive the check's timeout and pile up
    probe threads while Magento hangs."""
    budget = settings.magento.health_timeout
    config = config_from_settings(settings)
    config = replace(config, timeout_connect=min(config.timeout_connect, budget),
                     timeout_read=budget, timeout_write=budget, timeout_pool=budget,
                     max_connections=2, max_keepalive=1,
                     retry=RetryPolicy(max_attempts=1, max_time=budget, max_wait=0.0))
    return MagentoClient(config, token_store=CacheTokenStore())


def _magento_check() -> CheckResult:
    client: MagentoClient = current_app.extensions[PROBE_KEY]
    started = time.perf_counter()
    configs = client.request("GET", "V1/store/storeConfigs")  # raises -> the registry reports "fail"
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    if not isinstance(configs, list) or not configs:
        return CheckResult("warn", elapsed, "ms", "Magento answered without any store configuration")
    return CheckResult("pass", elapsed, "ms")


def init_app(app: Flask, settings: Settings, health: HealthRegistry) -> None:
    """Build the probe's own client and register the non-critical `magento` check."""
    app.extensions[PROBE_KEY] = _probe_client(settings)
    health.register("magento", _magento_check, critical=False, component_type="component",
                    timeout=settings.magento.health_timeout + 0.5)
