"""The MDM area's service object: the engine, the store mapping, the price window and the MDM read cache."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from flask import Flask, current_app
from sqlalchemy import Engine

from app.adapters.cache import CacheService
from app.services.mdm.sources import StoreSource

T = TypeVar("T")
EXTENSION_KEY = "mdm"
CACHE_NAMESPACE = "mdm"


@dataclass(frozen=True)
class MdmRepository:
    """Built once by create_app (app/services/mdm/database.py); reached through `get_mdm()`."""

    engine: Engine
    sources: tuple[StoreSource, ...]
    price_window_days: int
    cache: CacheService

    def cached(self, key: str, producer: Callable[[], T]) -> T:
        """A cached MDM read (namespace `mdm`, its TTL tier); `invalidate_cache` drops them all."""
        value: T = self.cache.get_or_set(CACHE_NAMESPACE, key, producer)
        return value

    def invalidate_cache(self) -> None:
        """Drop cached prices/inventory pages; call after anything that writes StockChanges (MERGE, acknowledge)."""
        self.cache.clear_namespace(CACHE_NAMESPACE)


def get_mdm(app: Flask | None = None) -> MdmRepository:
    """The app's MDM repository (`app`, else the current app)."""
    repository: MdmRepository = (app or current_app).extensions[EXTENSION_KEY]
    return repository


def business_today() -> date:
    """Tariff validity is judged on the local calendar date, as the MDM (SQL Server GETDATE()) does."""
    return datetime.now().date()
