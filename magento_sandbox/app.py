"""create_sandbox_app(): the Flask app wiring the /rest/ dispatcher and the /__sandbox/ control blueprint."""
from __future__ import annotations

from flask import Flask

from .control import bp as control_bp
from .dispatch import handle_rest
from .options import SandboxOptions
from .routes import build_routers
from .sandbox import Sandbox

# PATCH/HEAD/OPTIONS reach the dispatcher so it can answer Magento's 400 "Request method is invalid."
REST_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


def create_sandbox_app(options: SandboxOptions | None = None) -> Flask:
    """Build the sandbox WSGI app (a separate Flask app from the product's `app/`)."""
    options = options or SandboxOptions.from_env()
    app = Flask("magento_sandbox")
    sandbox = Sandbox(options)
    app.extensions["magento_sandbox"] = sandbox
    sync_router, async_router = build_routers()

    def rest(rest_path: str):
        return handle_rest(sandbox, sync_router, async_router)

    app.add_url_rule("/rest/<path:rest_path>", "rest", rest, methods=REST_METHODS,
                     provide_automatic_options=False)
    app.register_blueprint(control_bp)
    return app
