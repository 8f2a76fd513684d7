"""The React dashboard's burst, as the real frontend fires it: 11 calls, each twice, all at once, per user.

Observed from the frontend (shared/reference/real-frontend.md): storeConfigs, orders (pageSize 150),
customers/search (200), products (150) and the seven charts. Used by the Gunicorn burst test and the bench.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

CHARTS = ("products/types", "products/stats", "categories/distribution", "brands/distribution",
          "sales/performance", "inventory/status", "products/attributes")
LISTS = ("orders", 150), ("customers/search", 200), ("products", 150)


def dashboard_paths(page: int = 1) -> list[str]:
    """The 22 paths of one dashboard opening; `page` varies the list queries (a page no cache holds)."""
    lists = [f"/api/magento/{route}?searchCriteria[pageSize]={size}&searchCriteria[currentPage]={page}"
             for route, size in LISTS]
    once = ["/api/magento/store/storeConfigs", *lists, *(f"/api/magento/{chart}" for chart in CHARTS)]
    return once * 2


@dataclass(frozen=True)
class Call:
    path: str
    status: int  # 0 = no answer within the client's timeout
    seconds: float
    error: str


def burst(base_url: str, headers: dict[str, str], users: int = 1, timeout: float = 30.0,
          vary_pages: bool = False, first_page: int = 1) -> list[Call]:
    """`users` dashboards opened at the same instant (22 calls each, all concurrent); every call's outcome.

    `timeout` is the client's patience: 30 s, the frontend's axios timeout. With `vary_pages`, user n asks
    for list page n + `first_page`, so the list calls reach Magento instead of the proxy's cache.
    """
    paths = [path for user in range(users)
             for path in dashboard_paths(first_page + (user if vary_pages else 0))]
    start = threading.Barrier(len(paths))
    limits = httpx.Limits(max_connections=len(paths), max_keepalive_connections=len(paths))
    with httpx.Client(base_url=base_url, headers=headers, timeout=timeout, limits=limits) as client:

        def one(path: str) -> Call:
            start.wait(timeout)
            began = time.monotonic()
            try:
                resp = client.get(path)
            except httpx.HTTPError as exc:
                return Call(path, 0, time.monotonic() - began, type(exc).__name__)
            error = "" if resp.status_code == 200 else resp.text[:200]
            return Call(path, resp.status_code, time.monotonic() - began, error)

        with ThreadPoolExecutor(len(paths)) as pool:
            return list(pool.map(one, paths))


def percentile(calls: list[Call], q: float) -> float:
    """Nearest-rank percentile of the calls' durations (s)."""
    ordered = sorted(c.seconds for c in calls)
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered))) - 1))]


def summary(calls: list[Call]) -> dict[str, object]:
    statuses: dict[str, int] = {}
    for call in calls:
        statuses[str(call.status)] = statuses.get(str(call.status), 0) + 1
    return {"calls": len(calls), "statuses": statuses, "p50s": round(percentile(calls, 50), 2),
            "p95s": round(percentile(calls, 95), 2), "maxs": round(max(c.seconds for c in calls), 2)}
