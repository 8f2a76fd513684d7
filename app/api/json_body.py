"""Bounded JSON decoding of request bodies: a depth limit and a number-length limit (I/O-free).

The standard decoder recurses once per nesting level (a 100,000-deep array is a RecursionError), turns
a 5,000-digit integer into a ValueError about Python's digit limit, accepts NaN and Infinity, and reads
`1e400` as infinity. Every request body goes through `parse_json` instead (the webargs parser of
ApiBlueprint and the app's JSON provider for `request.get_json`); a violation raises `JSONLimitError`,
a `json.JSONDecodeError`, so every caller that handles invalid JSON handles it the same way (400
`malformed_json`).
"""
from __future__ import annotations

import json
import math
from typing import Any

from flask.json.provider import DefaultJSONProvider

MAX_DEPTH = 32  # a Magento product payload nests about 6 levels
MAX_NUMBER_LENGTH = 40  # characters of one number literal: 25-digit ids still parse (then fail the schema)


class JSONLimitError(json.JSONDecodeError):
    """A body that is JSON but beyond the limits (too deep, a number too long, NaN or an infinity)."""

    def __init__(self, reason: str, doc: str = "-") -> None:
        super().__init__(reason, doc, 0)
        self.reason = reason


def too_deep(value: Any, limit: int) -> bool:
    """Whether decoded JSON nests more than `limit` arrays/objects (iterative: no recursion)."""
    stack = [(value, 1)] if isinstance(value, (list, dict)) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, (list, dict)):
                stack.append((child, depth + 1))
    return False


def parse_json(data: bytes | str, *, max_depth: int = MAX_DEPTH,
               max_number_length: int = MAX_NUMBER_LENGTH) -> Any:
    """Decode a request body; raises json.JSONDecodeError (JSONLimitError beyond the limits)
    and UnicodeDecodeError (not UTF-8)."""
    text = data if isinstance(data, str) else data.decode("utf-8")

    def number(literal: str, convert: type) -> Any:
        if len(literal) > max_number_length:
            raise JSONLimitError(f"a number is longer than {max_number_length} characters")
        value = convert(literal)
        if convert is float and not math.isfinite(value):
            raise JSONLimitError(f"number {literal} is out of range")
        return value

    def constant(name: str) -> Any:
        raise JSONLimitError(f"{name} is not a JSON number")

    try:
        value = json.loads(text, parse_int=lambda s: number(s, int), parse_float=lambda s: number(s, float),
                           parse_constant=constant)
    except RecursionError as exc:  # the C decoder recurses once per level: far too deep
        raise JSONLimitError(f"nested deeper than {max_depth} levels") from exc
    if too_deep(value, max_depth):
        raise JSONLimitError(f"nested deeper than {max_depth} levels")
    return value


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with `parse_json` as `loads`: `request.get_json()` gets the same limits."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return parse_json(s)
