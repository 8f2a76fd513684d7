"""The two views of the API to compare: the operations the URL map serves and those the document lists."""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask import Flask

_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
DOC_METHODS = {"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"}


def openapi_path(rule: str) -> str:
    """/api/items/<int:item_id> -> /api/items/{item_id}"""
    return _CONVERTER.sub(r"{\1}", rule)


def served_operations(app: Flask) -> set[tuple[str, str]]:
    """(METHOD, path) for every rule, minus what Flask adds by itself (OPTIONS, and HEAD beside GET)."""
    ops: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        methods = set(rule.methods or ())
        methods.discard("OPTIONS") if rule.provide_automatic_options else None
        if "GET" in methods:
            methods.discard("HEAD")
        ops.update((method, openapi_path(rule.rule)) for method in methods)
    return ops


def documented_operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in spec.get("paths", {}).items()
            for method in item if method.upper() in DOC_METHODS}


def describe(ops: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"{m} {p}" for m, p in sorted(ops, key=lambda op: (op[1], op[0]))) or "none"
