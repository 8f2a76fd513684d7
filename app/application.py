"""The Flask class of the service: Flask with the request class and JSON provider of app/body_limit.py and
app/api/json_body.py, no cookie session, and hooks resolved as sync once per function instead of once per
call."""
from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from app.api.json_body import BoundedJSONProvider
from app.body_limit import BoundedRequest


class NoCookieSession(SecureCookieSessionInterface):
    """Every request gets Flask's null session: callers authenticate with bearer tokens (app/security.py) and
    nothing is kept in a cookie. Flask's signed-cookie session would build its signer (HMAC setup from
    SECRET_KEY) to open and save an empty session on every request; writing to the null session raises."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return None  # Flask then uses make_null_session(), which is never saved


class Application(Flask):
    """Flask, with `BoundedRequest` (a chunked body over MAX_CONTENT_LENGTH is a 413), `BoundedJSONProvider`
    (request.get_json() has the depth and number-length limits) and no cookie session."""

    request_class = BoundedRequest
    json_provider_class = BoundedJSONProvider
    session_interface = NoCookieSession()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Functions known to be plain (not coroutine) functions. Weak keys: Flask also asks about callables
        # made per request (a MethodView's bound method, after_this_request closures), which must not be
        # kept alive by this cache; they leave it when they are collected.
        self._sync_functions: weakref.WeakKeyDictionary[Callable[..., Any], bool] = weakref.WeakKeyDictionary()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        # Flask asks this of every hook and view on every request (~17 per request here), and the answer
        # (inspect.iscoroutinefunction) never changes for a function.
        try:
            if self._sync_functions.get(func):
                return func
        except TypeError:  # not weakly referenceable, or unhashable
            return super().ensure_sync(func)
        resolved = super().ensure_sync(func)
        if resolved is func:
            self._sync_functions[func] = True
        return resolved
