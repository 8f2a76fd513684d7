"""Process facts for health, recycling and `manage.py monit`: memory of a process tree, CPU count."""
from __future__ import annotations

import math
import os
from pathlib import Path

import psutil


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (signal 0 probes without touching it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def tree_uss(pid: int | None = None, children: list[psutil.Process] | None = None) -> int:
    """USS of a process plus its children (a worker and its image pool), in bytes; `children`: the process's
    children when the caller has just listed them (listing scans /proc).

    USS, not RSS: with copy-on-write pages shared with the master, RSS would count them once per worker.
    """
    proc = psutil.Process(pid or os.getpid())
    total = 0
    for p in [proc, *(proc.children(recursive=True) if children is None else children)]:
        try:
            total += p.memory_full_info().uss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def tree_rss(proc: psutil.Process, children: list[psutil.Process], own_rss: int | None = None) -> int:
    """Cheap upper bound of a tree's memory (RSS from /proc/<pid>/statm); used before the USS check.
    `own_rss`: the process's own RSS when the caller already has it (`statm_rss`)."""
    total = own_rss or 0
    for p in ([] if own_rss is not None else [proc]) + children:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def open_statm() -> int | None:
    """A descriptor on this process's /proc/self/statm for `statm_rss` (None where /proc is missing)."""
    try:
        return os.open(f"/proc/{os.getpid()}/statm", os.O_RDONLY)
    except OSError:
        return None


def statm_rss(fd: int) -> int:
    """This process's RSS in bytes: one pread on a kept-open statm, no psutil objects (checked per request)."""
    return int(os.pread(fd, 128, 0).split()[1]) * _PAGE_SIZE


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def cgroup_cpu_count() -> int:
    """CPUs this process may use: the cgroup v2/v1 quota if set, else the affinity mask."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:
        available = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(available, math.ceil(quota))) if quota else max(1, available)


def _cgroup_quota() -> float | None:
    v2 = Path("/sys/fs/cgroup/cpu.max")
    try:
        if v2.exists():
            limit, period = v2.read_text().split()[:2]
            return None if limit == "max" else int(limit) / int(period)
        quota = Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
        period = Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us")
        if quota.exists() and period.exists():
            q = int(quota.read_text())
            return None if q <= 0 else q / int(period.read_text())
    except (OSError, ValueError):
        return None
    return None


def default_worker_count(cpus: int) -> int:
    """Web workers so that workers x (1 + image pool size) fits the cores (pool size 1 by default)."""
    return max(1, cpus // 2)
