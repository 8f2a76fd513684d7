"""The `image_pool` health check: is this worker's pool up, and how loaded is it."""
from __future__ import annotations

from app.procinfo import pid_alive
from app.services.health import CheckResult
from workers.pool import peek_image_pool


def image_pool_check() -> CheckResult:
    """Pass when the pool is idle-not-started or all its children live; warn when queued or lossy.

    Never starts the pool (a health probe must not fork processes) and never sends it a task (a
    busy pool would make the probe time out and report a healthy pool as failing).
    """
    pool = peek_image_pool()
    if pool is None:
        return CheckResult("pass", 0, "busy processes", "not started in this worker (starts on first task)",
                           details={"started": False})
    stats = pool.stats()
    details = {key: stats[key] for key in ("size", "busy", "queued", "tasksDone", "tasksFailed",
                                           "timeouts", "recycles", "peakChildRssBytes")}
    if not stats["started"]:
        return CheckResult("pass", 0, "busy processes", "idle (restarts on next task)", details=details)
    children = stats["children"]
    alive = [pid for pid in children if pid_alive(pid)]
    if not alive:
        return CheckResult("fail", 0, "busy processes", "no live pool process", details=details)
    if len(alive) < stats["size"] or stats["queued"] > 2 * stats["size"]:
        return CheckResult("warn", stats["busy"], "busy processes",
                           f"{len(alive)}/{stats['size']} processes alive, {stats['queued']} tasks queued",
                           details=details)
    return CheckResult("pass", stats["busy"], "busy processes",
                       f"{stats['busy']}/{stats['size']} busy, {stats['queued']} queued", details=details)
