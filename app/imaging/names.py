"""Safe file names: the one rule that reduces a client-supplied name to [A-Za-z0-9._-]."""
from __future__ import annotations

import re
from pathlib import PurePath

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str, fallback: str) -> str:
    """`text` with every run of other characters made one "-", trimmed of "-" and "." (never empty)."""
    return _UNSAFE.sub("-", text).strip("-.") or fallback


def safe_file_name(name: str | None, fallback: str) -> str:
    """A client-supplied file name reduced to [A-Za-z0-9._-] without directories (no traversal, no zip-slip)."""
    return safe_name(PurePath(name or "").name, fallback)
