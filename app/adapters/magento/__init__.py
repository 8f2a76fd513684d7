"""Magento 2 REST adapter: the one HTTP client to the shop, its app binding and typed operations."""
from app.adapters.magento.client import NO_BODY, CallGuard, CallInfo, MagentoClient, MagentoConfig, MagentoResponse
from app.adapters.magento.extension import config_from_settings, get_magento_client, init_app
from app.adapters.magento.resources import BulkAccepted
from app.adapters.magento.retry import RetryPolicy
from app.adapters.magento.token import CacheTokenStore, MemoryTokenStore, TokenStore

__all__ = [
    "NO_BODY", "BulkAccepted", "CacheTokenStore", "CallGuard", "CallInfo", "MagentoClient", "MagentoConfig",
    "MagentoResponse", "MemoryTokenStore", "RetryPolicy", "TokenStore", "config_from_settings",
    "get_magento_client", "init_app",
]
