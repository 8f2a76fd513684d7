"""The one logging setup: JSON lines (or text in development), request ids, secret redaction, files.

Files are named by day (`techno-etl-YYYY-MM-DD.log`, and `errors-YYYY-MM-DD.log` for WARNING+). Every
process appends whole lines with O_APPEND writes and nothing is ever renamed, so any number of
Gunicorn workers can share them safely (a shared RotatingFileHandler would lose records). Files older
than LOG_RETENTION_DAYS are deleted when the service starts.

Records for the files are formatted, redacted and written off the request thread: the logging call only
adds the request's id and caller and queues the record; one writer thread per process formats what was
queued and appends it with one write per file, every 50 ms. The writer is restarted in a forked child and
drained at exit, so a graceful stop loses nothing. stderr (development, containers) is written
synchronously: a pipe's reader sees each line when the call returns.
"""
from __future__ import annotations

import atexit
import collections
import datetime as dt
import json
import logging
import logging.handlers
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
_DATEFMT = "%Y-%m-%dT%H:%M:%S%z"
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# The access line's own fields (app/middleware.py): no secret in their names, plain values, so the writer
# copies them as they are (redaction would return them unchanged).
_PLAIN_TYPES = (str, int, float, bool, type(None))
# One encoder for every access line: json.dumps with options builds a new JSONEncoder per call.
_encode_json = json.JSONEncoder(ensure_ascii=False).encode
_ACCESS_FIELDS = frozenset({"method", "path", "status", "durationMs", "client", "identity", "authKind",
                            "authRefused"})


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
    """Adds service, environment, pid, the request id and caller identity to every record; redacts extras.

    Queued records (the files) are only stamped on the caller's thread (`RequestStamp`): the service fields
    and the redaction, a regex per attribute, run on the writer thread (`LogWriter.drain`)."""

    def __init__(self, environment: str) -> None:
        super().__init__()
        self.environment = environment

    def filter(self, record: logging.LogRecord) -> bool:
        stamp_request(record)
        self.finish(record)
        return True

    def finish(self, record: logging.LogRecord) -> None:
        """The part that needs no request context: service fields and redaction."""
        record.service = SERVICE
        record.environment = self.environment
        for key in list(record.__dict__):
            if key in _RESERVED or key == "requestId":
                continue
            value = record.__dict__[key]
            if _SECRET_KEYS.search(key):
                record.__dict__[key] = "[REDACTED]"
            elif isinstance(value, (dict, list, tuple)):
                record.__dict__[key] = redact(value)


def stamp_request(record: logging.LogRecord) -> bool:
    """The part that must run on the caller's thread: the request id and identity of the current request."""
    if not hasattr(record, "requestId"):
        record.requestId = _current_request_id()
    if not hasattr(record, "identity"):
        identity = _current_identity()
        if identity:  # every line of an authenticated request names its caller
            record.identity = identity
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
        self._write([record])

    def emit_many(self, records: list[logging.LogRecord]) -> None:
        """Append the records at or above this handler's level, in one write (the log writer's batches)."""
        self._write([r for r in records if r.levelno >= self.level])

    def _write(self, records: list[logging.LogRecord]) -> None:
        lines = []
        for record in records:
            if type(record) is _Line:  # an access line, already formatted by the writer
                lines.append(record.text)
                continue
            try:
                lines.append(self.format(record) + "\n")
            except Exception:  # logging must never break a request
                self.handleError(record)
        if not lines:
            return
        try:
            with self._fd_lock:
                os.write(self._fd_for_today(), "".join(lines).encode("utf-8", "replace"))
        except Exception:
            self.handleError(records[-1])

    def close(self) -> None:
        with self._fd_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        super().close()


class QueuedHandler(logging.handlers.QueueHandler):
    """Root handler for the files: the context filter runs here, on the caller's thread; the writer thread
    formats and writes."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        # Merge the arguments now (they may change once the call returns); no copy, no formatting.
        record.msg, record.args = record.getMessage(), None
        return record

    def enqueue(self, record: logging.LogRecord) -> None:
        self.queue.append(record)  # a deque: no lock, no wake-up of the writer per record


class _Line:
    """An access line formatted by the writer: what DailyFileHandler appends as is (`msg`, `args` for
    Handler.handleError)."""

    __slots__ = ("levelno", "text", "msg", "args")

    def __init__(self, levelno: int, text: str, msg: str) -> None:
        self.levelno, self.text, self.msg, self.args = levelno, text, msg, None


class LogWriter:
    """The writer thread of one process: every INTERVAL, formats what was queued and appends it to the files.

    The writer is woken by time, not per record: waking a thread for each line costs the request thread
    more (a lock release and a GIL hand-over per line) than formatting it there."""

    INTERVAL = 0.05  # seconds: how late a line reaches the file, at most (plus the write itself)

    def __init__(self, handlers: list[DailyFileHandler], context: ContextFilter) -> None:
        self.handlers = handlers
        self.context = context
        self.pending: collections.deque[logging.LogRecord] = collections.deque()
        self.enqueue = QueuedHandler(self.pending)  # type: ignore[arg-type]
        self.thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._drain_lock = threading.Lock()
        self._stamp_second, self._stamp = -1, ""
        self._pid = os.getpid()
        self.start()

    def start(self) -> None:
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self.thread.start()

    def restart_in_child(self) -> None:
        """After a fork only the forking thread exists: the child writes its own records with its own thread
        (what the parent had queued is the parent's to write)."""
        self.pending = collections.deque()
        self.enqueue.queue = self.pending  # type: ignore[assignment]
        self._drain_lock = threading.Lock()
        self._pid = os.getpid()
        self.start()

    def _run(self) -> None:
        while not self._stopping.wait(self.INTERVAL):
            self.drain()
        self.drain()

    def drain(self) -> None:
        """Write everything queued so far (the writer thread's job; also flush and stop)."""
        with self._drain_lock:
            while self.pending:
                records = []
                while self.pending and len(records) < 512:
                    record = self.pending.popleft()
                    if type(record) is tuple:  # an access line queued by `log_access`
                        records.append(self._access_line(record))
                        continue
                    self.context.finish(record)
                    records.append(record)
                for handler in self.handlers:
                    handler.emit_many(records)

    def _access_line(self, item: tuple[Any, ...]) -> logging.LogRecord:
        """The JSON line `json_formatter()` writes for the record `_access_record(*item)` (the same fields in
        the same order), without building the record; that record when a value is not plain JSON."""
        created, _name, level, message, extra, request_id = item
        second = int(created)
        if second != self._stamp_second:
            self._stamp = time.strftime(_DATEFMT, time.localtime(created))
            self._stamp_second = second
        data = {"timestamp": self._stamp, "level": logging.getLevelName(level), "message": message,
                "service": SERVICE, "environment": self.context.environment, "pid": self._pid,
                "requestId": request_id}
        for key, value in extra.items():
            if key in _ACCESS_FIELDS and type(value) in _PLAIN_TYPES:
                data[key] = value
            else:
                data[key] = "[REDACTED]" if _SECRET_KEYS.search(key) else redact(value)
        try:
            return _Line(level, _encode_json(data) + "\n", message)  # type: ignore[return-value]
        except (TypeError, ValueError):
            record = _access_record(*item)
            self.context.finish(record)
            return record

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is queued, then end the thread (at exit, or when logging is configured again)."""
        thread = self.thread
        self._stopping.set()
        if thread is not None and thread.is_alive():
            thread.join(timeout)
        self.drain()
        self.thread = None


_writer: LogWriter | None = None
_root = logging.getLogger()


def log_access(logger: logging.Logger, level: int, message: str, extra: dict[str, Any], request_id: Any) -> None:
    """Log one access line. When the writer's queue is the only place it goes (files only, no stderr, no
    other handler or filter), the request thread queues a plain tuple and the writer builds the record;
    otherwise the ordinary logging call. `message` is already merged; `request_id` is the request's."""
    writer = _writer
    if (writer is not None and not logger.handlers and not logger.filters and logger.propagate
            and len(_root.handlers) == 1 and _root.handlers[0] is writer.enqueue
            and writer.enqueue.level <= level and writer.enqueue.filters == [stamp_request]):
        writer.pending.append((time.time(), logger.name, level, message, extra, request_id))
        return
    logger.log(level, "%s", message, extra=extra)


def _access_record(created: float, name: str, level: int, message: str, extra: dict[str, Any],
                   request_id: Any) -> logging.LogRecord:
    """The record `logging` would have built for an access line, with the time it was logged."""
    record = logging.LogRecord(name, level, __file__, 0, message, None, None)
    record.created, record.msecs = created, (created - int(created)) * 1000
    record.relativeCreated = (created - logging._startTime) * 1000  # type: ignore[attr-defined]
    record.__dict__.update(extra)
    record.requestId = request_id  # the identity, if any, is in `extra` (stamp_request would add no other)
    return record


def flush_logs() -> None:
    """Write every queued record to the files now."""
    if _writer is not None:
        _writer.drain()


def _stop_writer() -> None:
    if _writer is not None:
        _writer.stop()


def _restart_writer_in_child() -> None:
    if _writer is not None and _writer.thread is not None:
        _writer.restart_in_child()


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "{asctime}{levelname}{message}{service}{environment}{process}{requestId}",
        style="{",
        rename_fields={"asctime": "timestamp", "levelname": "level", "process": "pid"},
        datefmt=_DATEFMT,
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
    global _writer
    root = logging.getLogger()
    if getattr(root, "_techno_etl_configured", None) == id(settings):
        return
    if _writer is not None:  # configured again (tests build many apps): write what the old one queued
        _writer.stop()
        for file_handler in _writer.handlers:
            file_handler.close()
        _writer = None
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
    for handler in handlers:
        handler.setFormatter(formatter)
    if settings.logging.files:
        files = [DailyFileHandler(settings.logging.dir, "techno-etl"),
                 DailyFileHandler(settings.logging.dir, "errors", logging.WARNING)]
        for file_handler in files:
            file_handler.setFormatter(json_formatter())
        _writer = LogWriter(files, context)
        _writer.enqueue.addFilter(stamp_request)
    for handler in handlers:
        handler.addFilter(context)
    if _writer is not None:
        handlers.append(_writer.enqueue)
    for handler in handlers:
        handler._techno_etl = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(settings.logging.level)
    for noisy in ("urllib3", "httpx", "httpcore", "werkzeug"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    root._techno_etl_configured = id(settings)  # type: ignore[attr-defined]


# Exit handlers run last-registered first: this one drains the queue before logging's own shutdown.
atexit.register(_stop_writer)
os.register_at_fork(after_in_child=_restart_writer_in_child)
