"""Extension objects. Stateless ones are module-level and bound by `create_app`; the API spec
(app.api.openapi.Api), the rate limiter and the request metrics keep per-app state (a spec, a storage,
a registry), so `create_app` builds one of each per app (tests build many apps in one process)."""
from __future__ import annotations

from flask_compress import Compress
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_talisman import Talisman

cors = CORS()
compress = Compress()
talisman = Talisman()


def make_limiter() -> Limiter:
    return Limiter(key_func=get_remote_address)
