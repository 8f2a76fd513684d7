"""A small steady-load generator for the Gunicorn resilience tests: threads that record every request."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx


@dataclass
class Sample:
    at: float  # time.monotonic() when the request was sent
    seconds: float
    status: int  # 0 = the client gave up (timeout, connection error)
    body: dict | None


@dataclass
class Load:
    """`clients` threads calling `url` back to back (pausing `interval` s between calls) until stopped."""

    url: str
    headers: dict[str, str]
    clients: int = 1
    interval: float = 0.05
    timeout: float = 15.0
    samples: list[Sample] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(self.clients)]
        self._lock = threading.Lock()

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)

    def _run(self) -> None:
        with httpx.Client(headers=self.headers, timeout=self.timeout) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                status, body = 0, None
                try:
                    resp = client.get(self.url)
                    status = resp.status_code
                    if resp.headers.get("content-type", "").startswith(("application/json",
                                                                        "application/health+json")):
                        body = resp.json()
                except httpx.HTTPError:
                    pass
                with self._lock:
                    self.samples.append(Sample(started, time.monotonic() - started, status, body))
                self._stop.wait(self.interval)

    def between(self, start: float, end: float) -> list[Sample]:
        with self._lock:
            return [s for s in self.samples if start <= s.at < end]


def p99(samples: list[Sample]) -> float:
    """The 99th percentile latency (nearest rank), seconds."""
    ordered = sorted(s.seconds for s in samples)
    assert ordered, "no samples"
    return ordered[min(len(ordered) - 1, max(0, int(round(0.99 * len(ordered))) - 1))]
