"""Binds one MagentoClient to the Flask app (get_magento_client(app)) and builds it from settings."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Flask, current_app

from app.adapters.magento.client import MagentoClient, MagentoConfig
from app.adapters.magento.retry import RetryPolicy
from app.adapters.magento.token import CacheTokenStore
from config.budgets import WORKER_TIMEOUT_MARGIN, magento_job_budget, magento_request_budget
from config.settings import Settings

if TYPE_CHECKING:
    from config import Settings

log = logging.getLogger(__name__)
EXTENSION_KEY = "magento"
# A worker re-reads the shared admin token (Redis) at most every 5 s; a 401 re-reads it at once.
TOKEN_MEMO_SECONDS = 5.0
POOL_MAX_KEEPALIVE = 10  # idle keep-alive Magento connections per process (MAGENTO_POOL_MAX_CONNECTIONS caps all)
# Seconds no worker asks for a new admin token after Magento refused the credentials: a wrong password
# retried by every worker would lock the integration user out (Magento locks after 6 failures).
TOKEN_REFUSED_COOLDOWN = 300.0


def config_from_settings(settings: Settings) -> MagentoConfig:
    """MagentoConfig from the validated settings; MAGENTO_URL empty means the local sandbox."""
    base_url, username, password = settings.magento.url, settings.magento.username, settings.magento.password
    if not base_url:
        base_url = f"http://127.0.0.1:{settings.magento.sandbox_port}"
        if not username:
            username, password = _sandbox_credentials()
    max_time = magento_job_budget(settings)  # config/budgets.py: the one place budgets are computed
    if max_time < settings.magento.retry_max_time:
        # A call outliving the worker timeout gets the worker SIGKILLed mid-request: capped.
        log.warning("MAGENTO_RETRY_MAX_TIME capped to %.0f s (GUNICORN_TIMEOUT=%s s, margin %.0f s)", max_time,
                    settings.server.timeout, WORKER_TIMEOUT_MARGIN)
    return MagentoConfig(
        base_url=base_url,
        store_code=settings.magento.store_code,
        username=username,
        password=password,
        timeout_connect=settings.magento.timeout_connect,
        timeout_read=settings.magento.timeout_read,
        timeout_write=settings.magento.timeout_write,
        timeout_pool=settings.magento.timeout_pool,
        max_connections=settings.magento.pool_max_connections,
        max_keepalive=POOL_MAX_KEEPALIVE,
        verify_tls=settings.magento.verify_tls,
        retry=RetryPolicy(max_attempts=max(1, settings.magento.retry_max_attempts), max_time=max_time,
                          max_wait=settings.magento.retry_max_wait,
                          backoff_base=settings.magento.retry_backoff_base,
                          backoff_max=settings.magento.retry_backoff_max),
        request_budget=magento_request_budget(settings),
        token_ttl=float(settings.magento.token_ttl),
        token_refused_cooldown=TOKEN_REFUSED_COOLDOWN,
        token_memo=TOKEN_MEMO_SECONDS,
    )


def _sandbox_credentials() -> tuple[str, str]:
    """The sandbox's own admin user (development quick start without a shop)."""
    try:
        from magento_sandbox.options import SandboxOptions  # dev-only package, imported only here
    except ImportError:
        return "admin", "sandbox123"
    options = SandboxOptions.from_env()
    return options.admin_username, options.admin_password


def init_app(app: Flask, settings: Settings) -> MagentoClient:
    """Build and register the client; the admin token is shared through the cache service (namespace magento)."""
    client = app.extensions[EXTENSION_KEY] = MagentoClient(config_from_settings(settings),
                                                           token_store=CacheTokenStore())
    return client


def get_magento_client(app: Flask | None = None) -> MagentoClient:
    """The app's MagentoClient (`app`, else the current app)."""
    client: MagentoClient = (app or current_app).extensions[EXTENSION_KEY]
    return client
