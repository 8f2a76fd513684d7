"""Serving: run_sandbox() (blocking, threaded werkzeug server) and start_sandbox_thread() for tests."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from werkzeug.serving import BaseWSGIServer, make_server

from .options import SandboxOptions

log = logging.getLogger(__name__)


@dataclass
class SandboxServer:
    """A sandbox served from a background thread; `url` is the base URL (no trailing slash)."""

    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    @property
    def app(self):  # the Flask app, for in-process inspection
        return self.server.app

    def stop(self) -> None:
        """Stop accepting requests and close the listening socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _build(host: str, port: int, mdm_url: str | None, options: SandboxOptions | None) -> BaseWSGIServer:
    from .app import create_sandbox_app

    options = options or SandboxOptions.from_env()
    if mdm_url:
        options = options.with_(mdm_url=mdm_url)
    app = create_sandbox_app(options)
    # threaded=True: one thread per connection, so a hanging request never blocks the others.
    return make_server(host, port, app, threaded=True)


def run_sandbox(host: str = "127.0.0.1", port: int = 8081, mdm_url: str | None = None,
                options: SandboxOptions | None = None) -> None:
    """Serve the sandbox until interrupted (used by `python -m magento_sandbox` and `manage.py sandbox`)."""
    server = _build(host, port, mdm_url, options)
    log.warning("Magento sandbox listening on http://%s:%s/rest/V1/", host, server.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def start_sandbox_thread(host: str = "127.0.0.1", port: int = 0, mdm_url: str | None = None,
                         options: SandboxOptions | None = None) -> SandboxServer:
    """Start on a free loopback port (port=0) in a daemon thread; call .stop() when done."""
    server = _build(host, port, mdm_url, options)
    thread = threading.Thread(target=server.serve_forever, name="magento-sandbox", daemon=True)
    thread.start()
    return SandboxServer(server, thread)
