"""Patience with upstreams: retry what escaped the client's own retries, and wait (job status `waiting`)
while Magento or the MDM database is unavailable or its circuit breaker is open, instead of burning retries.

The circuit breakers live in app/services/resilience (issue 10): `breaker_retry_after` asks them whether a
call would be refused right now, so a job waits for the breaker instead of spending its retries on refusals.
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from app.adapters.magento.retry import RETRYABLE_STATUSES
from app.errors import DependencyUnavailable, UpstreamHTTPError, UpstreamTimeout, UpstreamUnavailable
from app.services.jobs.context import JobContext
from app.services.resilience import OPEN, breaker_snapshot
from config.sections import SyncSettings

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)
T = TypeVar("T")
# Job-level upstream names -> breaker names.
BREAKER_NAMES = {"magento": "magento", "mdm": "mdm_database"}


@dataclass(frozen=True)
class Patience:
    """How long a job keeps trying: quick retries first, then waiting with probes up to `wait_max`."""

    retries: int = 3
    backoff: float = 0.5
    wait_interval: float = 5.0
    wait_max: float = 3600.0

    @classmethod
    def from_settings(cls, sync: SyncSettings) -> Patience:
        return cls(retries=sync.batch_retries, wait_interval=sync.wait_interval, wait_max=sync.wait_max)


def breaker_retry_after(upstream: str) -> float | None:
    """Seconds until the upstream's breaker lets calls through, or None when calls may go now."""
    snapshot = breaker_snapshot(BREAKER_NAMES.get(upstream, upstream))
    if snapshot is None or snapshot.state != OPEN:
        return None
    return max(float(snapshot.retry_after or 0.0), 0.01)


def transient_upstream(exc: BaseException) -> str | None:
    """The upstream a transient failure came from (to wait on), or None when the failure is final."""
    if isinstance(exc, UpstreamUnavailable):
        return exc.upstream
    if isinstance(exc, UpstreamTimeout):
        return exc.upstream
    if isinstance(exc, UpstreamHTTPError) and exc.status in RETRYABLE_STATUSES:  # the client's list
        return exc.upstream
    if isinstance(exc, DependencyUnavailable):
        return "mdm" if exc.dependency == "mdm" else exc.dependency
    return None


def patiently(ctx: JobContext, call: Callable[[], T], patience: Patience, *, upstream: str = "magento",
              sleep: Callable[[float], None] | None = None) -> T:
    """Run `call` until it succeeds or fails for good; see the module docstring.

    Raises the last transient error once `wait_max` has passed, any final error at once, JobStopped when
    the job must stop while waiting.
    """
    nap = sleep or ctx.sleep
    quick = 0
    waiting_since: float | None = None
    while True:
        ctx.checkpoint()
        gate = breaker_retry_after(upstream)
        if gate is not None:
            waiting_since = _wait(ctx, upstream, f"{upstream} circuit breaker open", waiting_since, patience)
            nap(min(max(gate, 0.2), patience.wait_interval))
            continue
        try:
            result = call()
        except Exception as exc:
            source = transient_upstream(exc)
            if source is None:
                raise
            ctx.count(retried=1)
            if quick < patience.retries and waiting_since is None:
                quick += 1
                nap(random.uniform(0, patience.backoff * 2 ** (quick - 1)))
                continue
            try:
                waiting_since = _wait(ctx, source, str(getattr(exc, "message", exc)), waiting_since, patience)
            except TimeoutError:
                raise exc from None
            retry_after = getattr(exc, "retry_after", None) or patience.wait_interval
            nap(min(max(float(retry_after), 0.2), patience.wait_interval))
            continue
        if waiting_since is not None:
            log.info("job %s: %s is back after %.1f s", ctx.job_id, upstream, time.monotonic() - waiting_since)
            ctx.set_waiting(None)
        return result


def _wait(ctx: JobContext, upstream: str, reason: str, since: float | None, patience: Patience) -> float:
    now = time.monotonic()
    if since is None:
        log.warning("job %s waits for %s: %s", ctx.job_id, upstream, reason,
                    extra={"job_id": ctx.job_id, "upstream": upstream})
        ctx.set_waiting(upstream, f"waiting for {upstream}: {reason}"[:500])
        return now
    if now - since > patience.wait_max:
        ctx.set_waiting(None)
        raise TimeoutError(upstream)
    return since
