"""A Flask test client that finishes each response the way a WSGI server does: body read, then closed."""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


class ServerLikeClient(FlaskClient):
    """Buffered by default, so `Response.call_on_close` work (the proxy's deferred cache fill) has run when
    the call returns, as it has under Gunicorn once the client holds the whole answer."""

    def open(self, *args: Any, buffered: bool = True, **kwargs: Any) -> Any:
        return super().open(*args, buffered=buffered, **kwargs)
