"""Process lifecycle state read by the readiness probe: starting, ready, draining."""
from __future__ import annotations

import threading
import time

_state = {"phase": "starting", "since": time.time()}
_lock = threading.Lock()
STARTED_AT = time.time()
VERSION = "1.0.0"


def mark_ready() -> None:
    _set("ready")


def mark_draining() -> None:
    """Called on SIGTERM/shutdown: readiness answers 503 so the balancer stops sending traffic."""
    _set("draining")


def phase() -> str:
    return _state["phase"]


def uptime() -> float:
    return time.time() - STARTED_AT


def _set(phase_name: str) -> None:
    with _lock:
        if _state["phase"] == "draining":
            return  # draining is final for a process
        _state.update(phase=phase_name, since=time.time())


def service_started_at() -> float:
    """When the service started: the Gunicorn master's start (shared through the environment)."""
    import os

    try:
        return float(os.environ.get("TECHNO_ETL_STARTED_AT", STARTED_AT))
    except ValueError:
        return STARTED_AT
