"""Extension objects. Stateless ones are module-level and bound by `create_app`; the API spec, the
rate limiter (app/ratelimit.py) and the request metrics keep per-app state (a spec, a storage, a
registry), so `create_app` builds one of each per app (tests build many apps in one process)."""
from __future__ import annotations

from flask_compress import Compress
from flask_cors import CORS
from flask_smorest import Api as _SmorestApi

from app.api.openapi import ContractPlugin
from app.api.schemas import ErrorSchema
from app.security_headers import CachedTalisman


class Api(_SmorestApi):
    """flask-smorest's Api documenting our error envelope instead of its own error schema."""

    ERROR_SCHEMA = ErrorSchema
    # No catch-all `default` response: each operation lists the statuses it can return, so the schema
    # fuzzing can flag an undocumented one (app/api/openapi.py adds the generic error statuses).
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _init_spec(self, *, extra_plugins: tuple | list | None = None, **kwargs) -> None:  # type: ignore[override]
        super()._init_spec(extra_plugins=[*(extra_plugins or ()), ContractPlugin()], **kwargs)

    def _register_error_handlers(self) -> None:
        """app/errors.py renders every error; smorest's own handler is not installed."""


cors = CORS()
compress = Compress()
talisman = CachedTalisman()

