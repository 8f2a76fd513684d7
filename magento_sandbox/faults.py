"""Run-time fault injection: what a proxy/CDN in front of Magento (or Magento itself) may do to a call.

Faults are decided per request before routing, because real proxies answer before Magento does."""
from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .errors import internal_error

FAULT_STATUSES = {429, 500, 502, 503, 504}
DEFAULT_HANG_S = 600.0  # far above any client timeout
DEFAULT_RETRY_AFTER_429 = 1
_REASONS = {429: "Too Many Requests", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Time-out"}


@dataclass
class FaultConfig:
    """The live knobs, replaced as a whole by POST /__sandbox/faults."""

    latency_ms: int = 0
    hang: bool = False
    hang_s: float = DEFAULT_HANG_S
    status: int | None = None
    rate: float = 1.0
    retry_after: int | None = None
    drop_connection: bool = False
    reset_connection: bool = False  # RST instead of a clean FIN
    token_ttl_s: float | None = None
    strict_limits: bool | None = None
    paths: str | None = None
    count: int | None = None
    bulk_reject_rate: float = 0.0
    seed: int | None = None

    @classmethod
    def from_json(cls, data: dict) -> FaultConfig:
        """Validate the control payload; raises ValueError with a readable reason."""
        if not isinstance(data, dict):
            raise TypeError("body must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        cfg = cls(**data)
        if cfg.status is not None and cfg.status not in FAULT_STATUSES:
            raise ValueError(f"status must be one of {sorted(FAULT_STATUSES)}")
        if not 0.0 <= float(cfg.rate) <= 1.0 or not 0.0 <= float(cfg.bulk_reject_rate) <= 1.0:
            raise ValueError("rate and bulk_reject_rate must be within 0..1")
        if cfg.paths is not None:
            re.compile(cfg.paths)
        if cfg.count is not None and int(cfg.count) < 0:
            raise ValueError("count must be >= 0")
        return cfg

    @property
    def has_request_fault(self) -> bool:
        return bool(self.latency_ms or self.hang or self.status or self.drop_connection or self.reset_connection)


@dataclass
class Decision:
    """What to do to one request."""

    latency_s: float = 0.0
    hang_s: float = 0.0
    drop: bool = False
    reset: bool = False
    status: int | None = None
    retry_after: int | None = None


@dataclass
class FaultController:
    """Thread-safe holder of the FaultConfig plus its deterministic random source."""

    default_seed: int = 0
    config: FaultConfig = field(default_factory=FaultConfig)
    _rng: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cleared: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._rng.seed(self.default_seed)

    def set(self, cfg: FaultConfig) -> None:
        """Install a new configuration (and re-seed so runs are reproducible)."""
        with self._lock:
            self.config = cfg
            self._rng.seed(cfg.seed if cfg.seed is not None else self.default_seed)
            self._cleared.clear()

    def clear(self) -> None:
        """Back to no faults; wakes up requests that are hanging."""
        with self._lock:
            self.config = FaultConfig()
            self._cleared.set()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self.config)

    def decide(self, path: str) -> Decision | None:
        """Consume one `count` and one random draw if the request is in scope."""
        with self._lock:
            cfg = self.config
            if not cfg.has_request_fault:
                return None
            if cfg.paths and not re.search(cfg.paths, path):
                return None
            if cfg.count is not None and cfg.count <= 0:
                return None
            if cfg.rate < 1.0 and self._rng.random() >= cfg.rate:
                return None
            if cfg.count is not None:
                cfg.count -= 1
            retry_after = cfg.retry_after
            if cfg.status == 429 and retry_after is None:
                retry_after = DEFAULT_RETRY_AFTER_429
            return Decision(latency_s=cfg.latency_ms / 1000.0, hang_s=cfg.hang_s if cfg.hang else 0.0,
                            drop=cfg.drop_connection, reset=cfg.reset_connection, status=cfg.status,
                            retry_after=retry_after)

    def bulk_reject(self) -> bool:
        """Draw for one async bulk item being rejected at publish time."""
        with self._lock:
            rate = self.config.bulk_reject_rate
            return rate > 0 and self._rng.random() < rate

    def wait_hang(self, seconds: float) -> None:
        """Sleep, but return early when the faults are cleared (keeps test teardown fast)."""
        self._cleared.wait(seconds)


def drop_socket(environ: dict, *, reset: bool) -> bool:
    """Close the client connection without sending a response. True if a socket was found.

    Werkzeug's dev server exposes the socket as `werkzeug.socket`, gunicorn as `gunicorn.socket`.
    shutdown() sends FIN at once; werkzeug's later write fails with a ConnectionError it ignores."""
    sock = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
    if not isinstance(sock, socket.socket):
        return False
    try:
        if reset:
            # SO_LINGER(on, 0) + close makes the kernel send RST: the client sees "connection reset".
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    return True


def fault_response_body(status: int) -> tuple[str, str]:
    """(content type, body) of the injected status: proxies send HTML, Magento sends its JSON 500."""
    if status == 500:
        return "application/json; charset=utf-8", json.dumps(internal_error().body())
    reason = _REASONS.get(status, "Error")
    html = (f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
    return "text/html", html


def apply_delay(controller: FaultController, decision: Decision) -> None:
    """Latency then hang (hang wakes early when faults are cleared)."""
    if decision.latency_s:
        time.sleep(decision.latency_s)
    if decision.hang_s:
        controller.wait_hang(decision.hang_s)
