"""Time budgets and concurrency sizes derived from the settings: the one place they are computed.

Settings validation (config/settings.py), the Magento adapter (its call budgets), the SQL adapter (its pool)
and the resilience wiring (breaker leases, bulkhead caps and waits) all read these functions, so a rule such
as "a database call may take pool wait + connect + one statement" is written once. Every function takes
the validated Settings.

Who waits for what (docs/resilience.md has the measured figures):
- An *interactive* Magento call (made while serving an HTTP request) gets MAGENTO_REQUEST_BUDGET in all:
  the wait for a bulkhead slot, every attempt and every backoff. The React frontend gives up after 30 s
  (axios) and its development proxy after 10 s, so the default (20 s) ends before the frontend does, and a
  typical call (one attempt, or one retry after a transient 5xx) ends well within 10 s.
- A *background* call (sync jobs, snapshot builders: no request) keeps MAGENTO_RETRY_MAX_TIME (45 s).
- A caller waits for a bulkhead slot up to BULKHEAD_WAIT, but never more than half of its own budget, so
  the call it waited for still has time to run.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config.settings import Settings

# Seconds kept between the end of a Magento call's budget and Gunicorn killing a silent worker.
WORKER_TIMEOUT_MARGIN = 5.0
# SQLAlchemy pools of app/adapters/sql.py: pool_size kept connections plus as many overflow ones.
POOL_OVERFLOW_FACTOR = 1


def pool_capacity(pool_size: int) -> int:
    """Connections one engine may hold at once (pool_size + max_overflow)."""
    return pool_size * (1 + POOL_OVERFLOW_FACTOR)


def _worker_cap(settings: Settings) -> float:
    worker = float(settings.server.timeout)
    return max(1.0, worker - WORKER_TIMEOUT_MARGIN) if worker else float("inf")


def magento_job_budget(settings: Settings) -> float:
    """Budget (s) of one background Magento call: MAGENTO_RETRY_MAX_TIME, capped below GUNICORN_TIMEOUT."""
    return min(float(settings.magento.retry_max_time), _worker_cap(settings))


def magento_request_budget(settings: Settings) -> float:
    """Budget (s) of one Magento call made while serving a request, slot wait and retries included."""
    return min(float(settings.magento.request_budget), magento_job_budget(settings))


def db_call_budget(settings: Settings) -> float:
    """Worst case (s) of one database session: wait for a pooled connection, connect, run one statement."""
    return 2 * float(settings.database.connect_timeout) + float(settings.database.statement_timeout)


def wait_for_slot(limit: float, remaining: float) -> float:
    """Longest wait (s) for a bulkhead slot: `limit` (BULKHEAD_WAIT), at most half of the call's `remaining`
    budget, so the call it waited for still has the other half to run."""
    return max(0.0, min(limit, remaining / 2))


def slot_wait(settings: Settings, call_budget: float) -> float:
    """`wait_for_slot` for a call that starts with `call_budget`."""
    return wait_for_slot(float(settings.resilience.bulkhead_wait), call_budget)


def magento_per_worker(settings: Settings) -> int:
    """In-flight Magento calls per worker: MAGENTO_MAX_CONCURRENT_PER_WORKER, or half the threads."""
    return settings.resilience.magento_max_concurrent_per_worker or max(1, settings.server.threads // 2)


def mdm_per_worker(settings: Settings) -> int:
    """MDM sessions in flight per worker: MDM_MAX_CONCURRENT_PER_WORKER, or exactly the MDM pool's capacity.

    Never tighter than the pool (connections it keeps would never be used); equal by default so a session
    queues in the bulkhead (waiting up to BULKHEAD_WAIT) instead of timing out on the pool after
    DB_CONNECT_TIMEOUT, which would count as a database failure for the breaker.
    """
    return settings.resilience.mdm_max_concurrent_per_worker or pool_capacity(settings.database.pool_size)


def max_waiting(settings: Settings, cap: int) -> int:
    """Callers that may queue for a slot per worker: every thread the cap leaves (at least 1).

    While slots are released the whole queue may wait: a burst is served, not refused. When the bulkhead
    stalls (bulkhead.py: no slot released for a while) one thread is kept free for health and grids.
    """
    return max(1, settings.server.threads - cap)


def problems(settings: Settings) -> list[str]:
    """Cross-setting rules refused at start: every wait ends before Gunicorn kills a silent worker, and the
    MDM bulkhead is never tighter than the MDM pool."""
    out = []
    res, db_settings = settings.resilience, settings.database
    worker = settings.server.timeout
    db = db_call_budget(settings)
    if worker and db >= worker:
        out.append(f"DB_CONNECT_TIMEOUT/DB_STATEMENT_TIMEOUT: 2 x {db_settings.connect_timeout:g} s (pool wait + "
                   f"connect) + {db_settings.statement_timeout:g} s (statement) must stay below "
                   f"GUNICORN_TIMEOUT={worker} s, or a hanging database gets workers killed mid-request")
    if worker and res.bulkhead_wait >= worker:
        out.append(f"BULKHEAD_WAIT: {res.bulkhead_wait:g} s must stay below GUNICORN_TIMEOUT={worker} s")
    if worker and slot_wait(settings, db) + db >= worker:
        out.append(f"BULKHEAD_WAIT/DB_*_TIMEOUT: a database call may wait {slot_wait(settings, db):g} s for a slot "
                   f"and take {db:g} s; together they must stay below GUNICORN_TIMEOUT={worker} s")
    capacity = pool_capacity(settings.database.pool_size)
    if res.mdm_max_concurrent_per_worker and res.mdm_max_concurrent_per_worker < capacity:
        out.append(f"MDM_MAX_CONCURRENT_PER_WORKER: {res.mdm_max_concurrent_per_worker} is tighter than the "
                   f"MDM pool ({capacity} connections = 2 x DB_POOL_SIZE); use 0 (= the pool) or at least {capacity}")
    if res.breakers_enabled and not res.breaker_failure_threshold:
        out.append("BREAKER_FAILURE_THRESHOLD: must be at least 1 when BREAKERS_ENABLED")
    return out
