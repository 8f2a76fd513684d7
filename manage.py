#!/usr/bin/env python
"""Operator CLI: `python manage.py --help`. The commands live in app/cli/, one module per area."""
from __future__ import annotations

import os
from pathlib import Path

# CLI processes keep their metric files apart from the running server's (set before any import of
# prometheus_client).
_RUN_DIR = Path(os.environ.get("RUN_DIR") or Path(__file__).resolve().parent / "instance" / "run")
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_RUN_DIR / "metrics-cli"))

from app.cli import cli  # noqa: E402

if __name__ == "__main__":
    cli()
