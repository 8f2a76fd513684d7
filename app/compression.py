"""flask-compress with a short path for replies too small to compress."""
from __future__ import annotations

from flask import Response, current_app
from flask_compress import Compress


class SmallReplyCompress(Compress):
    """Compress whose after_request answers a complete body under COMPRESS_MIN_SIZE at once: the same
    `Vary: Accept-Encoding`, none of the encoding negotiation (most API answers, every error envelope)."""

    def after_request(self, response: Response | None) -> Response:
        if response and not response.is_streamed:
            length = response.content_length
            if length is not None and length < current_app.config["COMPRESS_MIN_SIZE"]:
                vary = response.headers.get("Vary")
                if vary is None:
                    response.headers.add("Vary", "Accept-Encoding")  # absent: no search to replace it
                elif not vary:
                    response.headers["Vary"] = "Accept-Encoding"
                elif "accept-encoding" not in vary.lower():
                    response.headers["Vary"] = f"{vary}, Accept-Encoding"
                return response
        return super().after_request(response)  # type: ignore[no-any-return]
