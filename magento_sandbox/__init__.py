"""Magento sandbox: a small WSGI app imitating Magento 2.4's REST API for dev, demos and tests.

Public API: create_sandbox_app(options) -> Flask, run_sandbox(host, port, mdm_url=None, options=None),
start_sandbox_thread(...) -> SandboxServer for in-process tests, and SandboxOptions."""
from __future__ import annotations

from importlib import import_module
from typing import Any

# Names are imported on first use (PEP 562): the backend reads only `magento_sandbox.options` (the sandbox's
# admin user), and importing the package must not load the sandbox's Flask app and server into every worker.
_HOMES = {"create_sandbox_app": ".app", "SandboxOptions": ".options", "SandboxServer": ".server",
          "run_sandbox": ".server", "start_sandbox_thread": ".server"}
__all__ = ["SandboxOptions", "SandboxServer", "create_sandbox_app", "run_sandbox", "start_sandbox_thread"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name], __name__), name)
