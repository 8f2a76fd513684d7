"""The application factory: `create_app()` and the small register_* steps it is made of."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app import (
    lifecycle,
    middleware,
    ratelimit,
    request_metrics,
    security,
    telemetry,  # noqa: F401  (first: sets PROMETHEUS_MULTIPROC_DIR before prometheus_client loads)
)
from app.adapters import appdb
from app.adapters import cache as cache_adapter
from app.adapters import magento as magento_adapter
from app.adapters import redis as redis_adapter
from app.api.bounds import BoundedIntegerConverter
from app.api.openapi import Api
from app.application import Application
from app.error_handlers import register_error_handlers
from app.extensions import compress, cors, talisman
from app.logging import configure_logging
from app.services import health as health_service
from app.services import jobs as jobs_service
from app.services import magento as magento_service
from app.services import resilience
from app.services.images import service as images_service
from app.services.mdm import database as mdm_service
from app.services.sync import background as sync_service
from config import ROOT_DIR, Settings, load_settings
from config.current import CONFIG_KEY


def create_app(config_name: str | None = None, overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app for APP_ENV (or `config_name`); `overrides` replaces settings (tests)."""
    settings = load_settings(config_name, overrides=overrides)
    app = Application(__name__, instance_path=str(ROOT_DIR / "instance"), static_folder=None)
    configure_app(app, settings)
    configure_logging(settings)
    register_extensions(app, settings)
    register_blueprints(app)
    register_error_handlers(app)
    lifecycle.mark_ready()
    return app


def configure_app(app: Flask, settings: Settings) -> None:
    app.config[CONFIG_KEY] = settings  # read back through config.current.get_settings only
    app.config.update(
        SECRET_KEY=settings.auth.secret_key,
        MAX_CONTENT_LENGTH=settings.http.max_content_length,
        TESTING=settings.env == "testing",
        JSON_SORT_KEYS=False,
        API_TITLE="TECHNO-ETL API",
        API_VERSION=lifecycle.VERSION,
        OPENAPI_VERSION="3.0.3",
        API_SPEC_OPTIONS={
            "info": {"description": "Prices and stocks from MDM to Magento 2; the React admin's backend."},
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
    )
    app.url_map.converters["int"] = BoundedIntegerConverter  # before any rule: every <int:...> is bounded
    if settings.http.proxy_fix_hops:
        hops = settings.http.proxy_fix_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore


def register_extensions(app: Flask, settings: Settings) -> None:
    """The request-level extensions in REQUEST_HOOKS order, then each area's service object."""
    for install, _why in REQUEST_HOOKS:
        install(app, settings)
    register_services(app, settings)


def _init_middleware(app: Flask, settings: Settings) -> None:
    middleware.init_app(app)


def _init_talisman(app: Flask, settings: Settings) -> None:
    talisman.init_app(
        app,
        force_https=settings.http.force_https,
        strict_transport_security=settings.is_production,
        content_security_policy={"default-src": "'none'", "frame-ancestors": "'none'"},
        content_security_policy_nonce_in=[],
        frame_options="DENY",
        session_cookie_secure=settings.is_production,
    )


def _init_security(app: Flask, settings: Settings) -> None:
    security.init_app(app)


BROTLI_QUALITY = 2


def _cors_only_with_origin(app: Flask) -> None:
    """Run flask-cors' after_request hook (just registered) only when the request names an Origin: without
    one it adds nothing (always_send is off, one hook per request otherwise matches the path, builds two
    header dicts and formats a debug line)."""
    hooks = app.after_request_funcs.setdefault(None, [])
    cors_after_request = hooks[-1]
    if cors_after_request.__name__ != "cors_after_request":  # flask-cors changed how it hooks in
        raise RuntimeError(f"expected flask-cors' after_request hook, found {cors_after_request!r}")

    def cors_if_origin(response: Response) -> Response:
        return cors_after_request(response) if request.environ.get("HTTP_ORIGIN") else response

    hooks[-1] = cors_if_origin


def _init_cors_and_compress(app: Flask, settings: Settings) -> None:
    cors.init_app(app, resources={r"/api/*": {"origins": settings.http.cors_origins}}, supports_credentials=False,
                  always_send=False,
                  expose_headers=["X-Request-ID", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
                                  "Age", "X-Data-As-Of", "Retry-After"])  # snapshot ages (docs/dashboards.md)
    _cors_only_with_origin(app)
    # Brotli at quality 2: within ~7 % of quality 4's size on a proxied product page, at under half its CPU
    # (0.046 vs 0.105 ms for 20 KB; docs/benchmarks.md).
    app.config.update(COMPRESS_LEVEL=6, COMPRESS_BR_LEVEL=BROTLI_QUALITY, COMPRESS_MIN_SIZE=1024)
    compress.init_app(app)


def _init_metrics_and_api(app: Flask, settings: Settings) -> None:
    app.extensions["prometheus"] = request_metrics.init_app(app, middleware.OPS_PATH_PREFIXES)
    app.extensions["api"] = Api(app)


def register_services(app: Flask, settings: Settings) -> None:
    """Build each area's service object once, from settings, and keep it in app.extensions (its get_<area>()
    reads it). Each init takes what it depends on as arguments, so this order is the only one that runs."""
    redis_client = redis_adapter.init_app(app, settings)
    health = health_service.init_app(app, settings)  # every area below registers its checks in it
    cache = cache_adapter.init_app(app, settings)
    app_engine = appdb.init_app(app, settings)
    mdm_service.init_app(app, settings, cache, health)
    magento_client = magento_adapter.init_app(app, settings)
    queue = jobs_service.init_app(app, settings, app_engine)
    sync_service.init_app(app, settings, queue, app_engine, redis_client, health)
    images_service.init_app(app, settings, queue, health)
    resilience.init_app(app, settings, redis_client, magento_client, health)
    magento_service.init_app(app, settings, health)


# Flask runs before_request hooks in the order they were registered, so this list is the order of the
# request's path; each entry says why it stands where it does.
REQUEST_HOOKS: tuple[tuple[Callable[[Flask, Settings], object], str], ...] = (
    (_init_middleware, "first: every later hook and log line has the request id"),
    (_init_talisman, "before auth: a plain-HTTP request is redirected, not refused"),
    (ratelimit.init_app, "before auth: a flood is refused before any token is checked"),
    (_init_security, "auth: every hook after it knows the caller"),
    (_init_cors_and_compress, "response-side only: their place among the request hooks does not matter"),
    (_init_metrics_and_api, "after the hooks: the exporter times the route, the Api registers the blueprints"),
)


def register_blueprints(app: Flask) -> None:
    from app.api.auth import login_blp
    from app.api.core import blp as core_blp
    from app.api.dashboard import blp as dashboard_blp
    from app.api.docs import blp as docs_blp
    from app.api.images import blp as images_blp
    from app.api.images.magento_routes import blp as magento_images_blp
    from app.api.magento import blp as magento_blp
    from app.api.mdm import blp as mdm_blp
    from app.api.mdm.sync import blp as sync_blp
    from app.api.voting import task_blp as voting_task_blp
    from app.api.voting import voting_blp
    from app.health import blp as health_blp
    from app.metrics import blp as metrics_blp
    from app.ops import blp as ops_blp

    limiter: ratelimit.RateLimiter = app.extensions["limiter"]
    # Probes and metrics are never rate-limited (middleware.OPS_PATH_PREFIXES).
    limiter.exempt_blueprint(health_blp.name)
    limiter.exempt_blueprint(metrics_blp.name)
    api: Api = app.extensions["api"]
    blueprints = [health_blp, metrics_blp, core_blp, docs_blp, ops_blp, images_blp, magento_images_blp,
                  mdm_blp, sync_blp, voting_task_blp, voting_blp, login_blp, magento_blp, dashboard_blp]
    with app.app_context():  # the document states this app's settings (MAX_PRICE, app/api/bounds.py)
        for blueprint in blueprints:
            api.register_blueprint(blueprint)
