"""The app's request class: a chunked body longer than MAX_CONTENT_LENGTH is a 413, never a cut body,
and a body `get_json()` cannot decode is the envelope's 400 `malformed_json` with the reason.

Werkzeug caps a body without Content-Length (chunked, which Gunicorn terminates) at max_content_length,
but `get_data()` stops reading exactly at the cap, so a longer body arrived cut short and surfaced as
400 malformed_json. Here the stream reads one byte past the cap: if there is one, the body was too large.
"""
from __future__ import annotations

import json
import typing as t

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

from app.errors import MalformedJSON


class _CappedStream(LimitedStream):
    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._stream.read(1):
            raise RequestEntityTooLarge()
        return data


class BoundedRequest(Request):
    """Flask's Request whose chunked bodies are refused (413) when longer than MAX_CONTENT_LENGTH."""

    @cached_property
    def stream(self) -> t.IO[bytes]:
        limit = self.max_content_length
        if (not self.shallow and limit is not None and self.content_length is None
                and "wsgi.input_terminated" in self.environ):
            return t.cast(t.IO[bytes], _CappedStream(self.environ["wsgi.input"], limit, is_max=True))
        return get_input_stream(self.environ, max_content_length=limit)

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        if e is None:  # not application/json: Flask's 415
            return super().on_json_loading_failed(e)
        reason = e.msg if isinstance(e, json.JSONDecodeError) else "not UTF-8"
        raise MalformedJSON(details={"reason": reason}) from e
