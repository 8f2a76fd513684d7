"""JobRunner: the in-process runner of one worker -- claims queued jobs, runs them on threads, renews leases.

One runner per process (created lazily after fork; never in the Gunicorn master): a claim loop that takes
queued jobs while fewer than `concurrency` run here, a heartbeat loop that renews every running job's lease
and persists its progress, and `stop()` for a graceful exit (stop claiming, let handlers reach a
checkpoint, give unfinished jobs back to the queue without counting an attempt). A worker that dies without
stopping leaves its leases to expire; `reap_expired` (run by every claim loop) re-queues those jobs.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask

from app.errors import AppError, SchemaMissing
from app.services.jobs import store
from app.services.jobs.context import JobContext, JobStopped
from app.telemetry import counter, gauge, histogram

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

JOBS = counter("jobs_total", "Jobs finished, by kind and outcome.", ("kind", "outcome"))
JOB_SECONDS = histogram("job_duration_seconds", "Wall time of finished jobs, by kind.", ("kind",),
                        buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200))
LAST_SUCCESS = gauge("job_last_success_timestamp_seconds", "Unix time of the last successful job, by kind.",
                     ("kind",), mode="max")
RUNNING = gauge("jobs_running", "Jobs running in live workers.", ("kind",), mode="livesum")


@dataclass(frozen=True)
class JobOutcome:
    """What a handler returns: final status (succeeded, partial, failed), a result document, a message."""

    status: str
    result: dict[str, Any] | None = None
    message: str | None = None


Handler = Callable[[JobContext], JobOutcome]


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: Handler
    max_attempts: int | None = None


@dataclass
class RunnerConfig:
    concurrency: int = 2
    poll_interval: float = 2.0
    lease_seconds: float = 60.0
    heartbeat_seconds: float = 10.0
    retry_delay: float = 5.0
    kinds: dict[str, JobKind] = field(default_factory=dict)


class JobRunner:
    """Runs the jobs of one process; see the module docstring."""

    def __init__(self, app: Flask, engine: Engine, config: RunnerConfig) -> None:
        self.app, self.engine, self.config = app, engine, config
        self.pid = os.getpid()
        self.owner = f"{socket.gethostname()}:{self.pid}:{uuid.uuid4().hex[:6]}"[:120]
        self.stopping = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._running: dict[int, tuple[JobContext | None, threading.Thread | None]] = {}
        self._deferred: list[int] = []  # submitted here while `concurrency` jobs ran: started in order
        self._done: dict[int, threading.Event] = {}
        self._renewed: dict[int, float] = {}  # job id -> monotonic time of its last renewed lease
        self._loop_thread: threading.Thread | None = None
        self._beat_thread: threading.Thread | None = None

    # -- public ------------------------------------------------------------------------------------
    def start(self, *, claim_loop: bool = True) -> None:
        """Start the heartbeat thread and (unless `claim_loop=False`) the claim loop; idempotent."""
        with self._lock:
            if self._beat_thread is None:
                self._beat_thread = threading.Thread(target=self._beat_loop, name="job-heartbeat", daemon=True)
                self._beat_thread.start()
            if claim_loop and self._loop_thread is None:
                self._loop_thread = threading.Thread(target=self._claim_loop, name="job-runner", daemon=True)
                self._loop_thread.start()

    @property
    def claiming(self) -> bool:
        return self._loop_thread is not None

    def run_job(self, job_id: int) -> bool:
        """Claim `job_id` and run it on a thread of this process, or queue it when `concurrency` jobs run here.

        A queued job stays `queued` in the store: this runner starts it when one of its jobs ends (and
        any claiming runner may take it sooner). False if the job is not claimable now.
        """
        self.start(claim_loop=False)
        with self._lock:
            if len(self._running) >= self.config.concurrency:
                self._deferred.append(job_id)
                self._done.setdefault(job_id, threading.Event())  # wait_local waits for it too
                return True
            self._running[job_id] = (None, None)  # reserve the place before the (slow) claim
        record = None
        try:
            record = store.claim(self.engine, self.owner, self.config.lease_seconds, job_id=job_id,
                                 kinds=tuple(self.config.kinds))
        finally:
            if record is None:
                with self._lock:
                    self._running.pop(job_id, None)
        if record is None:
            return False
        self._spawn(record)
        return True

    def _run_deferred(self) -> None:
        """Start the next job queued by run_job, if a place is free (called as a job of this runner ends)."""
        while not self.stopping.is_set():
            with self._lock:
                if not self._deferred or len(self._running) >= self.config.concurrency:
                    return
                job_id = self._deferred.pop(0)
            try:
                if self.run_job(job_id):
                    return
            except Exception:  # the job stays queued: a claim loop or a later end retries
                log.warning("job %s: deferred start failed", job_id, exc_info=True)
                return
            with self._lock:  # claimed elsewhere meanwhile: it no longer ends here
                event = self._done.pop(job_id, None)
            if event is not None:
                event.set()

    def run_inline(self, job_id: int, listener: Callable[[JobContext], None] | None = None) -> store.JobRecord:
        """Claim and run `job_id` on the calling thread (CLI); returns the final record."""
        self.start(claim_loop=False)
        record = store.claim(self.engine, self.owner, self.config.lease_seconds, job_id=job_id,
                             kinds=tuple(self.config.kinds))
        if record is None:
            raise RuntimeError(f"job {job_id} is not claimable")
        self._execute(record, listener)
        final = store.get_job(self.engine, job_id)
        assert final is not None
        return final

    def wake(self) -> None:
        self._wake.set()

    def wait_local(self, job_id: int, timeout: float) -> bool:
        """Wait until a job this process runs has ended; True if it ended within `timeout`."""
        with self._lock:
            event = self._done.get(job_id)
        return True if event is None else event.wait(timeout)

    def running_ids(self) -> list[int]:
        with self._lock:
            return list(self._running)

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful stop: no more claims; running jobs stop at their next checkpoint and are re-queued."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        for _ctx, thread in list(self._running.values()):
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
        for job_id in self.running_ids():  # stuck in a long call: give the lease back anyway
            store.release(self.engine, job_id, self.owner, message="worker stopped; job re-queued",
                          count_attempt=False)

    # -- loops -------------------------------------------------------------------------------------
    def _claim_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                store.reap_expired(self.engine)
                while len(self.running_ids()) < self.config.concurrency and not self.stopping.is_set():
                    record = store.claim(self.engine, self.owner, self.config.lease_seconds,
                                         kinds=tuple(self.config.kinds))
                    if record is None:
                        break
                    self._spawn(record)
            except Exception:  # a database hiccup must not kill the loop
                log.warning("job claim loop failed; retrying", exc_info=True)
            self._wake.wait(self.config.poll_interval)
            self._wake.clear()

    def _beat_loop(self) -> None:
        while not self.stopping.is_set():
            time.sleep(self.config.heartbeat_seconds)
            with self._lock:
                running = [(job_id, ctx) for job_id, (ctx, _t) in self._running.items() if ctx is not None]
            for job_id, ctx in running:
                try:
                    if not store.heartbeat(self.engine, job_id, self.owner, self.config.lease_seconds,
                                           state=ctx.snapshot()):
                        log.warning("job %s: lease lost, stopping it", job_id, extra={"job_id": job_id})
                        ctx.lost.set()
                    else:
                        self._renewed[job_id] = time.monotonic()
                except Exception:  # the lease has lease_seconds of slack: try again next beat
                    log.warning("job %s: heartbeat failed", job_id, exc_info=True)
                    # Past most of the lease without a renewal, another host may already have reaped and
                    # claimed the job: stop before pushing anything more (the new owner redoes the work).
                    since = time.monotonic() - self._renewed.get(job_id, time.monotonic())
                    if since > 0.8 * self.config.lease_seconds:
                        log.warning("job %s: lease not renewed for %.1f s, stopping it", job_id, since)
                        ctx.lost.set()

    # -- one job -----------------------------------------------------------------------------------
    def _spawn(self, record: store.JobRecord) -> None:
        thread = threading.Thread(target=self._execute, args=(record,), name=f"job-{record.id}", daemon=True)
        with self._lock:
            self._running[record.id] = (None, thread)
            self._done.setdefault(record.id, threading.Event())  # a deferred job's waiters keep theirs
        thread.start()

    def _execute(self, record: store.JobRecord, listener: Callable[[JobContext], None] | None = None) -> None:
        kind = self.config.kinds.get(record.kind)
        engine, owner, lease = self.engine, self.owner, self.config.lease_seconds
        ctx = JobContext(record.id, record.kind, record.params, record.attempts, progress=record.progress,
                         errors=record.errors, stopping=self.stopping, owner=owner,
                         flush=lambda state: store.heartbeat(engine, record.id, owner, lease, state=state))
        if listener is not None:
            ctx.listeners.append(listener)
        with self._lock:
            thread = self._running.get(record.id, (None, threading.current_thread()))[1]
            self._running[record.id] = (ctx, thread)
            self._renewed[record.id] = time.monotonic()  # claimed just now: the lease is fresh
            self._done.setdefault(record.id, threading.Event())
        RUNNING.labels(record.kind).inc()
        started = time.monotonic()
        log.info("job %s (%s) started, attempt %d", record.id, record.kind, record.attempts,
                 extra={"job_id": record.id, "kind": record.kind})
        try:
            with self.app.app_context():
                if kind is None:
                    raise LookupError(f"unknown job kind {record.kind!r}")
                outcome = kind.handler(ctx)
            self._finish(ctx, outcome, time.monotonic() - started)
        except JobStopped as exc:
            if not ctx.lost.is_set():
                store.release(engine, record.id, owner, message=f"{exc}; job re-queued", count_attempt=False,
                              state=_state(ctx))
            log.warning("job %s stopped: %s", record.id, exc, extra={"job_id": record.id})
        except Exception as exc:  # noqa: BLE001 - any failure is recorded on the job, never lost
            self._failed(ctx, record, exc, time.monotonic() - started)
        finally:
            RUNNING.labels(record.kind).dec()
            with self._lock:
                self._running.pop(record.id, None)
                self._renewed.pop(record.id, None)
                event = self._done.pop(record.id, None)
            if event is not None:
                event.set()
            if not self.stopping.is_set():
                self._run_deferred()

    def _finish(self, ctx: JobContext, outcome: JobOutcome, seconds: float) -> None:
        state = _state(ctx)
        if outcome.message:
            state["message"] = outcome.message[:500]
        if store.finish(self.engine, ctx.job_id, self.owner, outcome.status, state=state, result=outcome.result):
            JOBS.labels(ctx.kind, outcome.status).inc()
            JOB_SECONDS.labels(ctx.kind).observe(seconds)
            if outcome.status == "succeeded":
                LAST_SUCCESS.labels(ctx.kind).set(time.time())
            log.info("job %s (%s) %s in %.1f s", ctx.job_id, ctx.kind, outcome.status, seconds,
                     extra={"job_id": ctx.job_id, "kind": ctx.kind, "status": outcome.status})

    def _failed(self, ctx: JobContext, record: store.JobRecord, exc: Exception, seconds: float) -> None:
        message = exc.message if isinstance(exc, AppError) else f"{type(exc).__name__}: {exc}"
        # A missing table needs a person (the fix is in the message): failing now beats retrying.
        transient = isinstance(exc, AppError) and exc.status >= 500 and not isinstance(exc, SchemaMissing)
        if transient and record.attempts < record.max_attempts:
            delay = self.config.retry_delay * record.attempts
            store.release(self.engine, record.id, self.owner, message=f"{message}; retry in {delay:.0f} s",
                          count_attempt=True, delay=delay, state=_state(ctx))
            log.warning("job %s failed transiently (%s); re-queued", record.id, message)
            return
        log.error("job %s (%s) failed: %s", record.id, record.kind, message, exc_info=not transient,
                  extra={"job_id": record.id, "kind": record.kind})
        state = {**_state(ctx), "message": message[:500]}
        if store.finish(self.engine, record.id, self.owner, "failed", state=state, result=None):
            JOBS.labels(record.kind, "failed").inc()
            JOB_SECONDS.labels(record.kind).observe(seconds)


def _state(ctx: JobContext) -> dict[str, Any]:
    state = ctx.snapshot()
    state.pop("status", None)
    state.pop("waiting_on", None)
    return state
