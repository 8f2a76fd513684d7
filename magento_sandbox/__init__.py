"""Magento sandbox: a small WSGI app imitating Magento 2.4's REST API for dev, demos and tests.

Public API: create_sandbox_app(options) -> Flask, run_sandbox(host, port, mdm_url=None, options=None),
start_sandbox_thread(...) -> SandboxServer for in-process tests, and SandboxOptions."""
from __future__ import annotations

from .app import create_sandbox_app
from .options import SandboxOptions
from .server import SandboxServer, run_sandbox, start_sandbox_thread

__all__ = ["SandboxOptions", "SandboxServer", "create_sandbox_app", "run_sandbox", "start_sandbox_thread"]
