"""Extension objects. Stateless ones are module-level and bound by `create_app`; the API spec
(app.api.openapi.Api), the rate limiter (app/ratelimit.py) and the request metrics keep per-app state (a spec, a
storage, a registry), so `create_app` builds one of each per app (tests build many apps in one process)."""
from __future__ import annotations

from flask_cors import CORS

from app.compression import SmallReplyCompress
from app.security_headers import CachedTalisman

cors = CORS()
compress = SmallReplyCompress()
talisman = CachedTalisman()

