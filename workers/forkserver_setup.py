"""Imported by a worker's image forkserver as it starts (its preload list): the server ignores SIGTERM and SIGINT.

A stop signal sent to the service's whole process group (systemd, docker stop, Ctrl-C) would otherwise
kill the forkserver at once, and the pool's maintenance thread would crash replacing a process while
the worker finishes its requests. The server still exits when its worker does (it watches a pipe);
its children restore the default handlers (workers.tasks.init_child). The forkserver starts with the
pool, from a request thread that cannot change signal dispositions, hence this import-time step. It
acts only inside multiprocessing's forkserver, so importing it anywhere else changes nothing.
"""
from __future__ import annotations

import signal
import sys


def _in_forkserver() -> bool:
    frame = sys._getframe()
    while frame is not None:
        code = frame.f_code
        if code.co_name == "main" and code.co_filename.endswith("forkserver.py"):
            return True
        frame = frame.f_back
    return False


if _in_forkserver():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
