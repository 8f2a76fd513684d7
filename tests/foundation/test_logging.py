"""JSON log lines with request ids, access fields, redaction, and the multiprocess-safe daily files."""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import httpx

import app.logging as logging_module
from app.logging import (
    ContextFilter,
    DailyFileHandler,
    LogWriter,
    flush_logs,
    json_formatter,
    prune_old_logs,
    redact,
    stamp_request,
)


def test_access_line_is_json_with_request_id_and_fields(make_app, auth, tmp_path):
    app = make_app(LOG_FILES=True, LOG_DIR=str(tmp_path), LOG_LEVEL="INFO")
    app.test_client().get("/api/test", headers={**auth("viewer"), "X-Request-ID": "req-42"})
    flush_logs()  # written by the log writer thread
    lines = [json.loads(line) for f in tmp_path.glob("techno-etl-*.log") for line in f.read_text().splitlines()]
    access = [entry for entry in lines if entry.get("path") == "/api/test"]
    assert access, lines
    entry = access[-1]
    for field in ("timestamp", "level", "message", "service", "environment", "pid", "requestId", "method",
                  "status", "durationMs", "client"):
        assert field in entry, field
    assert entry["requestId"] == "req-42" and entry["status"] == 200
    logging.getLogger().handlers = [h for h in logging.getLogger().handlers if not getattr(h, "_techno_etl", False)]


def test_secret_looking_fields_are_redacted(make_app, tmp_path):
    make_app(LOG_FILES=True, LOG_DIR=str(tmp_path), LOG_LEVEL="INFO")
    logging.getLogger("x").warning("login", extra={"password": "hunter2", "apiToken": "abc", "user": "bob"})
    flush_logs()
    text = "".join(f.read_text() for f in tmp_path.glob("techno-etl-*.log"))
    assert "hunter2" not in text and "abc" not in text and '"user": "bob"' in text
    assert redact({"Authorization": "Bearer x", "nested": {"secret_key": 1}, "ok": 2}) == {
        "Authorization": "[REDACTED]", "nested": {"secret_key": "[REDACTED]"}, "ok": 2}
    logging.getLogger().handlers = [h for h in logging.getLogger().handlers if not getattr(h, "_techno_etl", False)]


def test_many_processes_append_whole_lines_to_one_file(tmp_path):
    writers = []
    for n in range(4):
        pid = os.fork()
        if pid == 0:
            handler = DailyFileHandler(str(tmp_path), "multi")
            handler.setFormatter(json_formatter())
            record = logging.makeLogRecord({"msg": "x" * 5000, "levelname": "INFO", "n": n})
            for _ in range(200):
                handler.emit(record)
            os._exit(0)
        writers.append(pid)
    for pid in writers:
        os.waitpid(pid, 0)
    lines = next(tmp_path.glob("multi-*.log")).read_text().splitlines()
    assert len(lines) == 800 and all(json.loads(line)["message"] == "x" * 5000 for line in lines)


def test_retention_prunes_only_old_files(tmp_path):
    old, new = tmp_path / "techno-etl-2020-01-01.log", tmp_path / "techno-etl-today.log"
    old.write_text("old")
    new.write_text("new")
    past = time.time() - 40 * 86400
    os.utime(old, (past, past))
    assert prune_old_logs(str(tmp_path), 14) == 1
    assert not old.exists() and new.exists()


def test_a_forked_child_gets_its_own_log_writer(make_app, tmp_path):
    make_app(LOG_FILES=True, LOG_DIR=str(tmp_path), LOG_LEVEL="INFO")
    pid = os.fork()
    if pid == 0:  # the child: its record must reach the file without any flush
        logging.getLogger("child").warning("from the child")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if "from the child" in "".join(f.read_text() for f in tmp_path.glob("techno-etl-*.log")):
                os._exit(0)
            time.sleep(0.02)
        os._exit(1)
    assert os.waitpid(pid, 0)[1] == 0
    logging.getLogger().handlers = [h for h in logging.getLogger().handlers if not getattr(h, "_techno_etl", False)]


def test_a_graceful_stop_writes_every_queued_access_line(tmp_path):
    from tests.support.servers import TOKENS, GunicornServer

    with GunicornServer(workers=2, env={"LOG_FILES": "true", "LOG_STDERR": "false", "LOG_LEVEL": "INFO"}) as server:
        with httpx.Client(headers={"Authorization": f"Bearer {TOKENS['viewer']}"}) as client:
            statuses = [client.get(server.base_url + "/api/test").status_code for _ in range(300)]
        server.stop()  # SIGTERM: the workers stop gracefully
        log_dir = Path(server.env["LOG_DIR"])
        lines = [json.loads(line) for f in log_dir.glob("techno-etl-*.log") for line in f.read_text().splitlines()]
    assert statuses == [200] * 300
    assert len([e for e in lines if e.get("path") == "/api/test"]) == 300


def test_stopping_the_log_writer_writes_everything_queued_first(tmp_path):
    class SlowFile(DailyFileHandler):
        def emit_many(self, records):
            time.sleep(0.05)  # a slow disk: the queue fills up behind the writer
            super().emit_many(records)

    handler = SlowFile(str(tmp_path), "slow")
    handler.setFormatter(json_formatter())
    writer = LogWriter([handler], ContextFilter("testing"))
    for n in range(50):
        writer.enqueue.handle(logging.makeLogRecord({"msg": "line %d", "args": (n,), "levelno": logging.INFO}))
    writer.stop()
    lines = next(tmp_path.glob("slow-*.log")).read_text().splitlines()
    assert [json.loads(line)["message"] for line in lines] == [f"line {n}" for n in range(50)]
    assert writer.thread is None


def test_queued_records_are_only_stamped_on_the_callers_thread_and_redacted_by_the_writer(tmp_path):
    handler = DailyFileHandler(str(tmp_path), "split")
    handler.setFormatter(json_formatter())
    writer = LogWriter([handler], ContextFilter("testing"))
    writer._stopping.set()  # no periodic drain: this test drains by hand
    writer.thread.join(1)
    writer.enqueue.addFilter(stamp_request)
    record = logging.makeLogRecord({"msg": "login", "levelno": logging.INFO, "levelname": "INFO",
                                    "password": "hunter2", "body": {"apiToken": "abc", "user": "bob"}})
    writer.enqueue.handle(record)
    # Queued as the caller left it: no regex over its attributes on the request thread.
    assert record.password == "hunter2" and not hasattr(record, "service") and record.requestId is None
    writer.drain()
    entry = json.loads(next(tmp_path.glob("split-*.log")).read_text())
    assert entry["password"] == "[REDACTED]" and entry["body"] == {"apiToken": "[REDACTED]", "user": "bob"}
    assert entry["service"] == "techno-etl-backend" and entry["environment"] == "testing"


def test_an_access_line_queued_as_a_tuple_is_the_same_line_as_one_logged_as_a_record(make_app, auth, tmp_path):
    app = make_app(LOG_FILES=True, LOG_STDERR=False, LOG_DIR=str(tmp_path), LOG_LEVEL="INFO")
    root = logging.getLogger()
    others = [h for h in root.handlers if not getattr(h, "_techno_etl", False)]  # pytest's capture handlers
    client = app.test_client()
    try:
        for handler in others:
            root.removeHandler(handler)
        writer = logging_module._writer
        writer._stopping.set()  # no periodic drain: this test looks at the queue, then drains by hand
        writer.thread.join(1)
        client.get("/api/test", headers={**auth("viewer"), "X-Request-ID": "req-fast"})
        assert any(type(item) is tuple for item in writer.pending)  # the request thread built no record
        flush_logs()
        root.addHandler(logging.NullHandler())  # another destination: the ordinary logging call
        client.get("/api/test", headers={**auth("viewer"), "X-Request-ID": "req-slow"})
        assert not any(type(item) is tuple for item in writer.pending)
        flush_logs()
    finally:
        root.handlers = [h for h in root.handlers if getattr(h, "_techno_etl", False)] + others
    raw = [line for f in tmp_path.glob("techno-etl-*.log") for line in f.read_text().splitlines()]
    fast_raw, slow_raw = ([line for line in raw if f'"requestId": "{rid}"' in line and '"/api/test"' in line][-1]
                          for rid in ("req-fast", "req-slow"))
    fast, slow = json.loads(fast_raw), json.loads(slow_raw)
    for line, entry in ((fast_raw, fast), (slow_raw, slow)):  # the same bytes for the same fields
        assert line == json.dumps(entry, ensure_ascii=False)
    assert list(fast) == list(slow)  # same fields, same order
    for entry in (fast, slow):
        entry.pop("timestamp"), entry.pop("durationMs"), entry.pop("requestId")
    assert fast == slow and fast["identity"] and fast["message"].startswith("GET /api/test 200 ")
    logging.getLogger().handlers = [h for h in logging.getLogger().handlers if not getattr(h, "_techno_etl", False)]


def test_queued_access_lines_are_redacted_and_fall_back_to_the_record_for_values_json_cannot_write(tmp_path):
    handler = DailyFileHandler(str(tmp_path), "tuples")
    handler.setFormatter(json_formatter())
    writer = LogWriter([handler], ContextFilter("testing"))
    writer._stopping.set()
    writer.thread.join(1)
    now = time.time()
    writer.pending.append((now, "techno_etl.access", logging.INFO, "GET /a 200", {"apiToken": "abc", "n": 1}, "r1"))
    writer.pending.append((now, "techno_etl.access", logging.INFO, "GET /b 200", {"odd": {1, 2}}, "r2"))
    writer.drain()
    first, second = (json.loads(line) for line in next(tmp_path.glob("tuples-*.log")).read_text().splitlines())
    assert first["apiToken"] == "[REDACTED]" and first["n"] == 1 and first["requestId"] == "r1"
    assert first["service"] == "techno-etl-backend" and first["environment"] == "testing"
    assert second["message"] == "GET /b 200" and second["odd"] in ("{1, 2}", [1, 2])  # JsonFormatter's own default
