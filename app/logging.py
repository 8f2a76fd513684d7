"""The one logging setup: JSON lines (or text in development), request ids, secret redaction, files.

Files are named by day (`techno-etl-YYYY-MM-DD.log`, and `errors-YYYY-MM-DD.log` for WARNING+). Every
process appends whole lines with a single O_APPEND write and nothing is ever renamed, so any number of
Gunicorn workers can share them safely (a shared RotatingFileHandler would lose records). Files older
than LOG_RETENTION_DAYS are deleted when the service starts.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pythonjsonlogger.json import JsonFormatter

if TYPE_CHECKING:
    from config import Settings

SERVICE = "techno-etl-backend"
_SECRET_KEYS = re.compile(r"password|token|secret|key|authorization|cookie", re.I)
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(value: Any, key: str = "") -> Any:
    """Mask values whose key looks secret, recursively."""
    if key and _SECRET_KEYS.search(key):
        return "[REDACTED]"
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


class ContextFilter(logging.Filter):
    """Adds service, environment, pid, the request id and caller identity to every record; redacts extras."""

    def __init__(self, environment: str) -> None:
        super().__init__()
        self.environment = environment

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = SERVICE
        record.environment = self.environment
        if not hasattr(record, "requestId"):
            record.requestId = _current_request_id()
        if not hasattr(record, "identity"):
            identity = _current_identity()
            if identity:  # every line of an authenticated request names its caller
                record.identity = identity
        for key in list(record.__dict__):
            if key in _RESERVED or key == "requestId":
                continue
            value = record.__dict__[key]
            if _SECRET_KEYS.search(key):
                record.__dict__[key] = "[REDACTED]"
            elif isinstance(value, (dict, list, tuple)):
                record.__dict__[key] = redact(value)
        return True


def _current_request_id() -> str | None:
    from flask import g, has_request_context
    return getattr(g, "request_id", None) if has_request_context() else None


def _current_identity() -> str | None:
    from flask import g, has_request_context
    if not has_request_context():
        return None
    principal = getattr(g, "principal", None)
    return principal.subject if principal is not None else None


class DailyFileHandler(logging.Handler):
    """Appends each record as one write() to <dir>/<stem>-<date>.log; safe across processes."""

    def __init__(self, directory: str, stem: str, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.directory = Path(directory)
        self.stem = stem
        self._day = ""
        self._fd: int | None = None
        self._fd_lock = threading.Lock()

    def _fd_for_today(self) -> int:
        day = dt.date.today().isoformat()
        if day != self._day or self._fd is None:
            if self._fd is not None:
                os.close(self._fd)
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"{self.stem}-{day}.log"
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            self._day = day
        return self._fd

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = (self.format(record) + "\n").encode("utf-8", "replace")
            with self._fd_lock:
                os.write(self._fd_for_today(), line)
        except Exception:  # logging must never break a request
            self.handleError(record)

    def close(self) -> None:
        with self._fd_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        super().close()


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "{asctime}{levelname}{message}{service}{environment}{process}{requestId}",
        style="{",
        rename_fields={"asctime": "timestamp", "levelname": "level", "process": "pid"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
        json_ensure_ascii=False,
    )


def text_formatter() -> logging.Formatter:
    return logging.Formatter("%(asctime)s %(levelname)-7s [%(process)d %(requestId)s] %(name)s: %(message)s")


def prune_old_logs(directory: str, retention_days: int) -> int:
    """Delete dated log files older than the retention; returns how many were removed."""
    cutoff = time.time() - retention_days * 86400
    removed = 0
    for path in Path(directory).glob("*.log*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def configure_logging(settings: Settings) -> None:
    """Install handlers on the root logger once per process (idempotent)."""
    root = logging.getLogger()
    if getattr(root, "_techno_etl_configured", None) == id(settings):
        return
    for handler in list(root.handlers):
        if getattr(handler, "_techno_etl", False):
            root.removeHandler(handler)
            handler.close()
    context = ContextFilter(settings.env)
    formatter = json_formatter() if settings.logging.format == "json" else text_formatter()
    # Production writes files only by default: a second copy of every line on stderr doubles the cost
    # of logging (set LOG_STDERR=true, or LOG_FILES=false, for journald or a container's log driver).
    to_stderr = settings.logging.stderr or not settings.logging.files
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)] if to_stderr else []
    if settings.logging.files:
        handlers.append(DailyFileHandler(settings.logging.dir, "techno-etl"))
        handlers.append(DailyFileHandler(settings.logging.dir, "errors", logging.WARNING))
    for handler in handlers:
        handler._techno_etl = True  # type: ignore[attr-defined]
        handler.addFilter(context)
        handler.setFormatter(formatter if not isinstance(handler, DailyFileHandler) else json_formatter())
        root.addHandler(handler)
    root.setLevel(settings.logging.level)
    for noisy in ("urllib3", "httpx", "httpcore", "werkzeug"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    root._techno_etl_configured = id(settings)  # type: ignore[attr-defined]
