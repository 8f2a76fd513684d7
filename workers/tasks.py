"""Top-level, picklable functions the image pool runs in its child processes, and the child setup.

Everything here executes in a pool process: the initializer resets signal handling, leaves the
worker's process group and starts a watchdog on the owning Gunicorn worker; tasks return plain data
(or raise the project's picklable typed errors) together with the child's own measurements.
"""
from __future__ import annotations

import os
import resource
import select
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from multiprocessing.sharedctypes import SynchronizedArray
from typing import Any

from app.errors import PayloadTooLarge
from app.imaging.limits import DEFAULT_LIMITS, ImageLimits
from app.imaging.operations import ImageResult, process
from app.imaging.watermark import Watermark
from app.procinfo import pid_alive

CHILD_NICENESS = 10
# The pool's shared slot array (workers.pool): slot -> pid running its task.
_running: SynchronizedArray[int] | None = None
_RESET_SIGNALS = ("SIGTERM", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGTTIN",
                  "SIGTTOU", "SIGABRT")


@dataclass(frozen=True)
class TaskStats:
    """Measured in the child: who ran it, for how long, and the child's peak resident memory."""

    pid: int
    seconds: float
    peak_rss_bytes: int


def init_child(owner_pid: int, memory_limit_bytes: int | None = None,
               running: SynchronizedArray[int] | None = None) -> None:
    """Pool initializer: default signals, SIGINT ignored, own process group, lower priority, die with the worker.

    Children inherit the worker's handlers (Gunicorn's graceful-stop logic would run in a child that
    has nothing to stop). A signal to the service's whole process group (systemd, docker stop, Ctrl-C)
    must not reach the children: one killed while it waits for work holds the pool's queue lock, and
    the worker's pool.terminate() would then block until Gunicorn kills the worker. So the children
    leave the group; their worker stops them. A watchdog exits the child when its worker is gone,
    even by SIGKILL, so no pool process outlives its worker.
    """
    global _running
    for name in _RESET_SIGNALS:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The forkserver may start with these blocked (workers.pool.start_forkserver): children take stop signals.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, (signal.SIGTERM, signal.SIGINT))
    os.setpgid(0, 0)
    # Image work is batch work: on a busy host the worker's own threads (probes, grids) come first.
    os.nice(CHILD_NICENESS)
    _running = running
    if memory_limit_bytes:
        # A last line behind the pixel limits: a decoder bug cannot take the host's memory.
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit_bytes, memory_limit_bytes))
    _watch_owner(owner_pid)


def _watch_owner(owner_pid: int) -> None:
    try:
        pidfd = os.pidfd_open(owner_pid)
    except ProcessLookupError:
        os._exit(1)  # the worker died before this child finished starting
    except (AttributeError, OSError):
        pidfd = None  # old kernel: fall back to polling

    def watch() -> None:
        if pidfd is not None:
            select.select([pidfd], [], [])  # readable once the owner has exited
        else:
            while pid_alive(owner_pid):
                time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="image-pool-owner-watchdog", daemon=True).start()


def run_in_slot(slot: int, fn: Callable[..., Any], *args: Any) -> Any:
    """Run `fn(*args)` marked as this process's task in `slot`, so the worker can kill exactly this process."""
    if _running is None:
        return fn(*args)
    with _running.get_lock():
        _running[slot] = os.getpid()
    try:
        return fn(*args)
    finally:
        with _running.get_lock():
            # Unmarked under the lock the worker holds while it kills a timed-out task: once this
            # returns, the worker no longer kills this process (it may now wait for the next task).
            if _running[slot] == os.getpid():
                _running[slot] = 0


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def _measured(fn: Callable[[], Any]) -> tuple[Any, TaskStats]:
    started = time.perf_counter()
    try:
        value = fn()
    except MemoryError:
        raise PayloadTooLarge("The image needs more memory than an image worker may use.") from None
    return value, TaskStats(os.getpid(), time.perf_counter() - started, _peak_rss_bytes())


def process_image(data: bytes, operations: Iterable[Mapping[str, Any]],
                  watermark: Watermark | None = None,
                  limits: ImageLimits = DEFAULT_LIMITS) -> tuple[ImageResult, TaskStats]:
    """Run `operations` on one image (see app.imaging.operations.process)."""
    operations = [dict(op) for op in operations]
    return _measured(lambda: process(data, operations, watermark=watermark, limits=limits))


def probe() -> tuple[dict[str, Any], TaskStats]:
    """Round trip for health checks and tests: the child's pid, parent and signal dispositions."""
    def describe(sig: int) -> str:
        handler = signal.getsignal(sig)
        return "default" if handler == signal.SIG_DFL else "ignore" if handler == signal.SIG_IGN else "handler"

    info = {"pid": os.getpid(), "ppid": os.getppid(),
            "signals": {name: describe(getattr(signal, name)) for name in ("SIGINT", "SIGTERM", "SIGQUIT")}}
    return _measured(lambda: info)


def sleep_for(seconds: float) -> tuple[float, TaskStats]:
    """A task that only waits: for timeout and recycling tests and drills."""
    def wait() -> float:
        time.sleep(seconds)
        return seconds

    return _measured(wait)
