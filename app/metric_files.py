"""Metric files on disk (multiprocess mode): cold-start wipe and dead-worker archiving.

Used by the Gunicorn master, which must not create metric files of its own, so this module defines
no metrics and imports only prometheus_client's file helpers.
"""
from __future__ import annotations

import os


def mark_process_dead(pid: int) -> None:
    """Called by the Gunicorn master when a worker exits: drop its live gauges, archive its counters.

    Counter and histogram files of dead workers are summed into one archive file per type, so the
    number of files a scrape reads stays bounded however many workers recycle.
    """
    from prometheus_client import multiprocess
    from prometheus_client.mmap_dict import MmapedDict

    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    multiprocess.mark_process_dead(pid, directory)
    for kind in ("counter", "histogram"):
        dead = os.path.join(directory, f"{kind}_{pid}.db")
        if not os.path.exists(dead):
            continue
        archive = MmapedDict(os.path.join(directory, f"{kind}_archive.db"))
        source = MmapedDict(dead, read_mode=True)
        try:
            for key, value, timestamp in source.read_all_values():
                current, _ = archive.read_value(key)
                archive.write_value(key, current + value, timestamp)
        finally:
            source.close()
            archive.close()
        os.remove(dead)
    for leftover in ("gauge_all", "gauge_max", "gauge_min", "gauge_sum", "gauge_mostrecent"):
        path = os.path.join(directory, f"{leftover}_{pid}.db")
        if os.path.exists(path):  # non-live gauges of a dead worker carry no current information
            os.remove(path)


def reset_multiproc_dir(directory: str) -> None:
    """Wipe metric files at a cold start (never on a USR2 re-exec: live workers still write there)."""
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))
