"""Imported by a worker's image forkserver as it starts (its preload list): the server ignores SIGTERM and SIGINT.

A stop signal sent to the service's whole process group (systemd, docker stop, Ctrl-C) would otherwise
kill the forkserver at once, and the pool's maintenance thread would crash replacing a process while
the worker finishes its requests. The server still exits when its worker does (it watches a pipe).
Its children take SIGTERM again from the moment they are forked (a pool stopped before a new child
has run its initializer must still be able to terminate it); workers.tasks.init_child does the rest.
The forkserver starts with the pool, from a request thread that cannot change signal dispositions,
hence this import-time step. It acts only inside multiprocessing's forkserver, so importing it
anywhere else changes nothing.
"""
from __future__ import annotations

import os
import signal
import sys
from types import FrameType


def _in_forkserver() -> bool:
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        code = frame.f_code
        if code.co_name == "main" and code.co_filename.endswith("forkserver.py"):
            return True
        frame = frame.f_back
    return False


_STOP = (signal.SIGTERM,)


def _block_sigterm() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP)


def _unblock_sigterm() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP)


def _child_takes_sigterm() -> None:
    # Blocked across the fork, so a SIGTERM sent to the new child before this line waits for it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _unblock_sigterm()


if _in_forkserver():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.register_at_fork(before=_block_sigterm, after_in_parent=_unblock_sigterm, after_in_child=_child_takes_sigterm)
