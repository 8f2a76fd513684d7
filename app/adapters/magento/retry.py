"""Retry policy for Magento calls, I/O-free: which failures retry, backoff with full jitter, Retry-After."""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Statuses a proxy, CDN or an overloaded Magento answers transiently. 501/505 and 4xx are final.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

# Methods safe to replay whatever happened on the wire. POST is replayed only when the caller flags the
# call as an upsert (products save, source-items, base-prices): Magento applies those by key.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one logical call tries.

    `max_time` bounds the whole call (attempts, waits and a token refresh) and must stay below
    Gunicorn's worker timeout so a worker is never killed mid-retry; `max_wait` bounds the sum of the
    waits between attempts; one backoff wait is at most `backoff_max`.
    """

    max_attempts: int = 4
    max_time: float = 45.0
    max_wait: float = 20.0
    backoff_base: float = 0.5
    backoff_max: float = 8.0

    def backoff(self, retry_number: int, rand: Callable[[], float] = random.random) -> float:
        """Full jitter (AWS architecture blog): uniform in [0, min(backoff_max, base * 2**(n-1))]."""
        doubling: int = 2 ** max(0, retry_number - 1)  # int ** int is typed Any (a negative power is a float)
        ceiling = min(self.backoff_max, self.backoff_base * doubling)
        return rand() * ceiling

    def wait_before_retry(self, retry_number: int, retry_after: float | None, waited: float,
                          rand: Callable[[], float] = random.random) -> float | None:
        """Seconds to wait before retry `retry_number` (1-based), or None to give up.

        A server's Retry-After is obeyed as given, never shortened: when it exceeds what is left of
        the wait budget the call gives up (the error carries the Retry-After for the caller).
        """
        budget = self.max_wait - waited
        if retry_after is not None:
            return retry_after if retry_after <= budget else None
        return min(self.backoff(retry_number, rand), max(0.0, budget))


def should_retry_method(method: str, upsert: bool) -> bool:
    """Whether a call may be replayed after an ambiguous failure (5xx, timeout, dropped connection)."""
    return upsert or method.upper() in IDEMPOTENT_METHODS


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110 10.2.3); None when absent/invalid."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())
