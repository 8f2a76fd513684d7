"""The project's real metric names, read from the code that defines them (so dashboards and rules can be checked)."""
from __future__ import annotations

import re
from pathlib import Path

from tests.support.servers import ROOT

PREFIX = "techno_etl_"
# prometheus-flask-exporter's own metric (app/request_metrics.py defines the request series itself).
EXPORTER = {"exporter_info"}
_DEFINITION = re.compile(r"\b(counter|histogram|gauge)\(\s*\"([a-z0-9_]+)\"")
_SUFFIXES = {"counter": ("",), "gauge": ("",), "histogram": ("", "_bucket", "_sum", "_count")}
_USED = re.compile(r"\btechno_etl_[a-z0-9_]+")


def defined_metrics() -> set[str]:
    """Every sample name the service can expose: techno_etl_<name>[_bucket|_sum|_count]."""
    names: set[str] = set()
    for path in [*ROOT.joinpath("app").rglob("*.py"), *ROOT.joinpath("workers").rglob("*.py")]:
        for kind, name in _DEFINITION.findall(path.read_text()):
            names.update(PREFIX + name + suffix for suffix in _SUFFIXES[kind])
    for name in EXPORTER:
        suffixes = _SUFFIXES["histogram"] if name.endswith("_seconds") else ("",)
        names.update(PREFIX + name + suffix for suffix in suffixes)
    return names


def used_metrics(path: Path) -> set[str]:
    return set(_USED.findall(path.read_text()))
