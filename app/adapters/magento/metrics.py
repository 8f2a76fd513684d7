"""Prometheus metrics of the Magento client: calls, latency, retries, token refreshes (endpoint templates only)."""
from __future__ import annotations

from typing import Protocol

from app.telemetry import counter, histogram

CALLS = counter("magento_requests_total", "HTTP requests sent to Magento, by method, endpoint template and "
                "status (status 'error' = no answer).", ("method", "endpoint", "status"))
LATENCY = histogram("magento_request_duration_seconds", "Latency of single HTTP requests to Magento.",
                    ("method", "endpoint"))
RETRIES = counter("magento_retries_total", "Magento requests retried, by endpoint template and reason.",
                  ("method", "endpoint", "reason"))
TOKEN_REFRESHES = counter("magento_token_refreshes_total",
                          "Admin token fetches for the integration user, by outcome (ok, refused, error).",
                          ("outcome",))


class ClientMetrics(Protocol):
    """What the client reports; tests pass a recorder, the app uses PrometheusMetrics."""

    def request(self, method: str, endpoint: str, status: str, seconds: float) -> None: ...
    def retry(self, method: str, endpoint: str, reason: str) -> None: ...
    def token_refresh(self, outcome: str) -> None: ...


class PrometheusMetrics:
    """ClientMetrics over the process-shared (multiprocess) Prometheus metrics above."""

    def request(self, method: str, endpoint: str, status: str, seconds: float) -> None:
        CALLS.labels(method, endpoint, status).inc()
        LATENCY.labels(method, endpoint).observe(seconds)

    def retry(self, method: str, endpoint: str, reason: str) -> None:
        RETRIES.labels(method, endpoint, reason).inc()

    def token_refresh(self, outcome: str) -> None:
        TOKEN_REFRESHES.labels(outcome).inc()
