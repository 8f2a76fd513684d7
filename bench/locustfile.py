"""Locust user model of the React admin's calls (weights = how often the frontend makes them).

    .venv/bin/python bench/load_test.py            # starts Gunicorn + Redis db 13 + sandbox, runs this file
    locust -f bench/locustfile.py --host URL       # against your server: set TECHNO_ETL_TOKEN,
                                                   # TECHNO_ETL_OPERATOR_TOKEN

Mix: the stock grid (paged, sorted, filtered by source/search/changed), prices, Magento proxy reads through
the sandbox (product lists, orders), the dashboard cards and charts, and now and then an operator
triggering a price sync (POST, answers 202 while the job runs).
"""
from __future__ import annotations

import os
import random

from locust import HttpUser, between, task

VIEWER = os.environ.get("TECHNO_ETL_TOKEN", "test-viewer-token")
OPERATOR = os.environ.get("TECHNO_ETL_OPERATOR_TOKEN", "test-operator-token")
SOURCES = ["", "", "", "1", "2", "3"]  # MDM code_source values (config/sources.json)
SORTS = ["QteStock", "Code_MDM", "DateDernierMaJ"]
SEARCHES = ["", "", "", "10", "A", "PRD"]


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
