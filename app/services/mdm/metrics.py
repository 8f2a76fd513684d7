"""Instrumentation of every named MDM query: count, latency histogram, errors, and the slow-query log."""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from app.telemetry import counter, histogram

log = logging.getLogger(__name__)

# Labelled by query *name* (a handful of fixed values), never by SKU or parameters.
QUERIES = counter("database_queries_total", "SQL queries issued, by named query.", ("database", "query"))
QUERY_ERRORS = counter("database_query_errors_total", "SQL queries that failed, by named query.",
                       ("database", "query"))
QUERY_SECONDS = histogram("database_query_duration_seconds", "SQL query latency, by named query.",
                          ("database", "query"))

DEFAULT_SLOW_QUERY_MS = 500.0
_slow_query_ms = DEFAULT_SLOW_QUERY_MS


def set_slow_query_threshold(ms: float) -> None:
    """Set the slow-query log threshold (SLOW_QUERY_MS of app/services/mdm/database.py, at app start)."""
    global _slow_query_ms
    _slow_query_ms = float(ms)


@contextmanager
def observed(query: str, *, database: str = "mdm") -> Iterator[None]:
    """Time the block as one execution of `query`; count it, and its failure if it raises."""
    started = time.perf_counter()
    try:
        yield
    except Exception:
        QUERY_ERRORS.labels(database, query).inc()
        raise
    finally:
        elapsed = time.perf_counter() - started
        QUERIES.labels(database, query).inc()
        QUERY_SECONDS.labels(database, query).observe(elapsed)
        if elapsed * 1000 >= _slow_query_ms:
            log.warning("slow query", extra={"database": database, "query": query,
                                             "duration_ms": round(elapsed * 1000, 1)})
