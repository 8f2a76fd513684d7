"""Sandbox: one running shop (state, tokens, faults, bulks, call stats) and the per-request context."""
from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from .auth import TokenStore
from .bulk import BulkManager
from .faults import FaultController
from .options import SandboxOptions
from .search import SearchCriteria, criteria_from_query
from .seed import build_state
from .state import SandboxState


class Sandbox:
    """Everything one sandbox app serves; kept in app.extensions["magento_sandbox"]."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.state: SandboxState = build_state(options)
        self.faults = FaultController(default_seed=options.fault_seed)
        self.tokens = TokenStore(
            username=options.admin_username, password=options.admin_password, ttl_s=self.token_ttl_s,
            lockout_failures=options.lockout_failures, lockout_s=options.lockout_s,
            other_admins=options.other_admins)
        self.bulks = BulkManager(lambda: self.state, options.consumer_delay_s)
        self._stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        self._latency_rng = random.Random(options.seed)
        self._latency_lock = threading.Lock()

    # -- live knobs (fault config overrides options) ------------------------------------------------
    def token_ttl_s(self) -> float:
        override = self.faults.config.token_ttl_s
        return float(override) if override is not None else float(self.options.token_ttl_s)

    def strict_limits(self) -> bool:
        override = self.faults.config.strict_limits
        return bool(override) if override is not None else self.options.strict_limits

    def shop_latency_s(self) -> float:
        """The next call's base latency (s): a seeded draw in options.latency_ms, 0 when unset."""
        low, high = self.options.latency_ms
        if high <= 0:
            return 0.0
        with self._latency_lock:
            return self._latency_rng.uniform(low, high) / 1000.0

    # -- stats ---------------------------------------------------------------------------------------
    def count_call(self, key: str) -> None:
        with self._stats_lock:
            self._stats[key] += 1

    def stats(self) -> dict:
        with self._stats_lock:
            routes = dict(self._stats)
        return {"total": sum(routes.values()), "routes": routes}

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._stats.clear()

    # -- reset ---------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Reseed the shop, forget tokens/lockouts, clear faults and stats."""
        self.bulks.cancel_timers()
        self.state = build_state(self.options)
        self.tokens.clear()
        self.faults.clear()
        self.reset_stats()
        with self._latency_lock:
            self._latency_rng.seed(self.options.seed)


@dataclass
class Ctx:
    """What a route handler gets: the shop, the scope and the decoded input."""

    sandbox: Sandbox
    store_code: str  # "default" for /rest/V1, "all" for /rest/all/V1, else the store view code
    query: dict
    body: Any
    is_async: bool = False

    @property
    def state(self) -> SandboxState:
        return self.sandbox.state

    def criteria(self, param: str = "searchCriteria") -> SearchCriteria:
        """The searchCriteria parameter (required) with the current input-limit mode applied."""
        opts = self.sandbox.options
        return criteria_from_query(self.query, param=param, strict=self.sandbox.strict_limits(),
                                   max_page_size=opts.max_page_size, default_page_size=opts.default_page_size)

    def array_limit(self) -> int | None:
        """Max items of a complex array parameter, or None when input limits are off."""
        if not self.sandbox.strict_limits():
            return None
        opts = self.sandbox.options
        return opts.async_array_limit if self.is_async else opts.sync_array_limit
