"""Locust user models of the React admin's calls.

    .venv/bin/python bench/load_test.py [--model session|mix]   # starts Gunicorn + Redis db 13 + sandbox
    locust -f bench/locustfile.py SessionUser --host URL        # against your server: set TECHNO_ETL_TOKEN,
                                                                # TECHNO_ETL_OPERATOR_TOKEN

SessionUser (the real-session model, issue 14): one admin opening the dashboard -- the 22 calls the React
dashboard fires at once (storeConfigs, orders pageSize 150 over the last 30 days, customers/search pageSize
200, products pageSize 150, and the seven charts, each twice), then working the grids: Magento products,
orders and customers pages with sorts and filters, the MDM stock grid, and now and then the dashboard again.
Every call has the frontend's 30 s axios timeout. Stats per call kind ("burst ...", "chart ...", "grid ...")
plus one "dashboard (22 calls)" row timing the whole burst.

FrontendUser (the older mix): the stock grid (paged, sorted, filtered by source/search/changed), prices,
Magento proxy reads through the sandbox (product lists, orders), the dashboard cards and charts, and now
and then an operator triggering a price sync (POST, answers 202 while the job runs).
"""
from __future__ import annotations

import logging
import os
import random
import time
from datetime import UTC, datetime, timedelta

from gevent.pool import Group
from locust import HttpUser, between, tag, task

VIEWER = os.environ.get("TECHNO_ETL_TOKEN", "test-viewer-token")
OPERATOR = os.environ.get("TECHNO_ETL_OPERATOR_TOKEN", "test-operator-token")
SOURCES = ["", "", "", "1", "2", "3"]  # MDM code_source values (config/sources.json)
SORTS = ["QteStock", "Code_MDM", "DateDernierMaJ"]
SEARCHES = ["", "", "", "10", "A", "PRD"]


# A burst opens more connections than urllib3 keeps per host (10); the extra ones are simply not reused.
logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
CLIENT_TIMEOUT_S = 30  # the frontend's axios timeout
CHARTS = ("products/types", "products/stats", "categories/distribution", "brands/distribution",
          "sales/performance", "inventory/status", "products/attributes")
PRODUCT_SORTS = ["created_at", "name", "price", "sku", "updated_at"]
PRODUCT_FILTERS = [("name", "%Stylo%", "like"), ("type_id", "simple", "eq"), ("status", "1", "eq"),
                   ("price", "100", "gteq"), ("sku", "10001%", "like")]
ORDER_STATUSES = ["processing", "complete", "pending", "canceled"]


def criteria(page_size: int, page: int = 1, sort: tuple[str, str] | None = None,
             filters: list[tuple[str, str, str]] | None = None) -> dict[str, str | int]:
    """Magento searchCriteria as the frontend flattens it (literal brackets); each filter in its own group."""
    params: dict[str, str | int] = {"searchCriteria[pageSize]": page_size, "searchCriteria[currentPage]": page}
    if sort:
        params["searchCriteria[sortOrders][0][field]"] = sort[0]
        params["searchCriteria[sortOrders][0][direction]"] = sort[1]
    for group, (field, value, condition) in enumerate(filters or []):
        prefix = f"searchCriteria[filterGroups][{group}][filters][0]"
        params.update({f"{prefix}[field]": field, f"{prefix}[value]": value, f"{prefix}[conditionType]": condition})
    return params


def dashboard_calls() -> list[tuple[str, str, dict]]:
    """(stats name, path, params) of one dashboard opening: 11 distinct calls, each made twice."""
    end = datetime.now(UTC)
    start = end - timedelta(days=30)
    orders = criteria(150, sort=("created_at", "DESC"))
    # The dashboard puts both date bounds in filter group 0, as DashboardController does.
    orders.update({
        "searchCriteria[filterGroups][0][filters][0][field]": "created_at",
        "searchCriteria[filterGroups][0][filters][0][value]": start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "searchCriteria[filterGroups][0][filters][0][conditionType]": "gteq",
        "searchCriteria[filterGroups][0][filters][1][field]": "created_at",
        "searchCriteria[filterGroups][0][filters][1][value]": end.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "searchCriteria[filterGroups][0][filters][1][conditionType]": "lteq"})
    calls = [("burst storeConfigs", "/api/magento/store/storeConfigs", {}),
             ("burst orders (150)", "/api/magento/orders", orders),
             ("burst customers/search (200)", "/api/magento/customers/search",
              criteria(200, sort=("created_at", "DESC"))),
             ("burst products (150)", "/api/magento/products", criteria(150, sort=("created_at", "DESC")))]
    calls += [(f"chart {chart}", f"/api/magento/{chart}", {"fieldName": "name"}) for chart in CHARTS]
    return calls + calls


RESEND = os.environ.get("TECHNO_ETL_NO_RESEND", "") != "1"


def keepalive_reset(error: BaseException | None) -> bool:
    """requests' error for a connection the server closed under the request (reset or closed without an
    answer): `ConnectionError(ProtocolError('Connection aborted.', ...))`."""
    return error is not None and "Connection aborted." in str(error)


def no_answer(error: BaseException | None, sent: float) -> str:
    """Why a call got no HTTP answer: the exception and when it came (a timeout after 30 s, or a connection
    reset at once), so the failures table tells a slow server from a dropped connection."""
    took = time.perf_counter() - sent
    kind = "timeout" if "Timeout" in type(error).__name__ else "connection error"  # requests' ReadTimeout...
    return f"no answer: {kind} after {took:.0f} s ({type(error).__name__}: {str(error)[:80]})"


class SessionUser(HttpUser):
    """One admin's real session: the dashboard burst on arrival, then grids, filters and sorts."""

    wait_time = between(1, 3)  # a person reading a page before the next click

    def on_start(self) -> None:
        self.client.headers.update({"Authorization": f"Bearer {VIEWER}"})
        self.open_dashboard(first=True)

    def _get(self, name: str, path: str, params: dict | None = None, caches: list[str] | None = None) -> str | None:
        """One GET as the browser makes it; the reason it failed, or None.

        A GET sent on a kept-alive connection just as the server closes it (Gunicorn closes one idle for its
        `keepalive`, 5 s) fails at once with a connection reset. Browsers send such a request again on a new
        connection (Chromium's HttpNetworkTransaction::ShouldResendRequest, Firefox likewise: once, for a
        reused connection, when no byte of the answer came); requests does not. So does this model, and
        it counts each resend in a row of its own ("RESEND ..."), so they stay visible. TECHNO_ETL_NO_RESEND=1
        turns the resend off (load_test.py --no-resend).
        """
        for attempt in (1, 2):
            sent = time.perf_counter()
            with self.client.get(path, params=params, name=name, timeout=CLIENT_TIMEOUT_S,
                                 catch_response=True) as resp:
                if 0 < resp.status_code < 400:
                    if caches is not None:  # the proxy's X-Cache (HIT, MISS, SHARED); none on a chart
                        caches.append(resp.headers.get("X-Cache", ""))
                    return None
                if attempt == 1 and RESEND and resp.status_code == 0 and keepalive_reset(resp.error):
                    resp.request_meta["request_type"] = "RESEND"  # its own row: the reset, not the call
                    resp.success()
                    continue
                why = f"status {resp.status_code}" if resp.status_code else no_answer(resp.error, sent)
                resp.failure(why)
                return why
        return None

    @tag("dashboard")
    @task(2)
    def open_dashboard(self, first: bool = False) -> None:
        """22 calls at once, like the browser; the whole burst is reported as one more row: the user's first
        dashboard (all users arrive together, so these meet cold caches) apart from the later ones."""
        started = time.perf_counter()
        failures: list[BaseException] = []
        caches: list[str] = []

        def one(name: str, path: str, params: dict) -> None:
            why = self._get(name, path, params, caches)
            if why is not None:
                failures.append(RuntimeError(f"{name}: {why}"))

        group = Group()
        for call in dashboard_calls():
            group.spawn(one, *call)
        group.join(timeout=CLIENT_TIMEOUT_S + 5)
        self.environment.events.request.fire(
            request_type="BURST", name="dashboard (22 calls)" + (" first" if first else ""),
            response_time=(time.perf_counter() - started) * 1000, response_length=0,
            exception=failures[0] if failures else None, context={})
        if not first and not failures:
            # The later answered dashboards once more, split by whether any call waited for Magento (a cache
            # miss, or sharing another request's call): tells a slow cached dashboard from one that met a miss.
            # Failed ones are in the BURST row only, so no failure is counted twice.
            waited = any(cache in ("MISS", "SHARED") for cache in caches)
            self.environment.events.request.fire(
                request_type="SPLIT", name="dashboard " + ("with a Magento call" if waited else "all cached"),
                response_time=(time.perf_counter() - started) * 1000, response_length=0, exception=None,
                context={})

    @task(6)
    def products_grid(self) -> None:
        sort = (random.choice(PRODUCT_SORTS), random.choice(["ASC", "DESC"]))
        filters = [random.choice(PRODUCT_FILTERS)] if random.random() < 0.4 else None
        self._get("grid products" + (" (filter)" if filters else ""), "/api/magento/products",
                  criteria(random.choice([25, 50]), random.randint(1, 20), sort, filters))

    @task(3)
    def orders_grid(self) -> None:
        filters = [("status", random.choice(ORDER_STATUSES), "eq")] if random.random() < 0.4 else None
        self._get("grid orders" + (" (filter)" if filters else ""), "/api/magento/orders",
                  criteria(25, random.randint(1, 20), ("created_at", "DESC"), filters))

    @task(2)
    def customers_grid(self) -> None:
        filters = [("lastname", random.choice(["Alaoui", "Tazi", "Bennani"]), "eq")] if random.random() < 0.3 \
            else None
        self._get("grid customers" + (" (filter)" if filters else ""), "/api/magento/customers/search",
                  criteria(25, random.randint(1, 10), ("created_at", "DESC"), filters))

    @task(5)
    def stock_grid(self) -> None:
        params = {"page": random.randint(0, 20), "pageSize": 25, "sortField": random.choice(SORTS),
                  "sortOrder": random.choice(["asc", "desc"]), "search": random.choice(SEARCHES),
                  "sourceCode": random.choice(SOURCES), "showChangedOnly": random.choice(["false", "true"])}
        self._get("grid mdm inventory", "/api/mdm/inventory", params)

    @task(1)
    def prices(self) -> None:
        self._get("grid mdm prices", "/api/mdm/prices", {"limit": 100, "offset": random.choice([0, 100, 200])})


class FrontendUser(HttpUser):
    """One admin with the grid open: reads dominate, a sync trigger is rare."""

    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        self.client.headers.update({"Authorization": f"Bearer {VIEWER}"})

    @task(30)
    def inventory_grid(self) -> None:
        params = {"page": random.randint(1, 5), "pageSize": random.choice([25, 50, 100]),
                  "sortField": random.choice(SORTS), "sortOrder": random.choice(["asc", "desc"]),
                  "search": random.choice(SEARCHES), "sourceCode": random.choice(SOURCES),
                  "showChangedOnly": random.choice(["false", "false", "true"])}
        self.client.get("/api/mdm/inventory", params=params, name="/api/mdm/inventory")

    @task(8)
    def prices(self) -> None:
        self.client.get("/api/mdm/prices", params={"limit": 100, "offset": random.choice([0, 100, 200])},
                        name="/api/mdm/prices")

    @task(15)
    def magento_products(self) -> None:
        self.client.get("/api/magento/products", name="/api/magento/products (proxy)",
                        params={"searchCriteria[pageSize]": 20, "searchCriteria[currentPage]": random.randint(1, 5)})

    @task(5)
    def magento_orders(self) -> None:
        self.client.get("/api/magento/orders", name="/api/magento/orders (proxy)",
                        params={"searchCriteria[pageSize]": 20, "searchCriteria[currentPage]": 1})

    @task(6)
    def dashboard(self) -> None:
        self.client.get("/api/dashboard/stats", name="/api/dashboard/stats")
        self.client.get("/api/dashboard/orders", params={"limit": 10}, name="/api/dashboard/orders")

    @task(3)
    def charts(self) -> None:
        self.client.get("/api/magento/products/types", name="/api/magento/products/types")
        self.client.get("/api/magento/inventory/status", name="/api/magento/inventory/status")

    @task(2)
    def sources(self) -> None:
        self.client.get("/api/mdm/sources", name="/api/mdm/sources")

    @task(1)
    def sync_trigger(self) -> None:
        # An operator pushing prices: 202 (job queued or running) or 200 (finished within the wait).
        # Empty array = MDM's prices; wait=0 answers at once instead of holding a thread SYNC_REQUEST_WAIT.
        self.client.post("/api/mdm/sync/prices", params={"wait": 0}, json=[],
                         headers={"Authorization": f"Bearer {OPERATOR}"}, name="/api/mdm/sync/prices")
