"""The one success envelope: `{"success": true, "message"?, "data"?, ...}`; app/errors.py renders the failures.

Key order is part of what the frontend sees (JSON_SORT_KEYS is off): success, message, data, then the
extra fields in the order given.
"""
from __future__ import annotations

from typing import Any

_NO_DATA: Any = object()


def ok(data: Any = _NO_DATA, *, message: str | None = None, **fields: Any) -> dict[str, Any]:
    """A success body: `message` and `data` only when given, then `fields` as they come."""
    body: dict[str, Any] = {"success": True}
    if message is not None:
        body["message"] = message
    if data is not _NO_DATA:
        body["data"] = data
    body.update(fields)
    return body
