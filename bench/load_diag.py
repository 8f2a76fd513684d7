"""What load_test.py prints besides locust's figures: where the CPU went during the run (load generator,
Gunicorn, sandbox) and the server-side latency of each route from the Prometheus histograms.

A client-measured p95 on a loaded 2-core box mixes the server's time with the load generator's own
scheduling delay (one gevent process parses every answer); these two tell them apart."""
from __future__ import annotations

import os
import re
import resource
import time
from dataclasses import dataclass

import psutil

_BUCKET = re.compile(r'^techno_etl_http_request_duration_seconds_bucket\{(?P<labels>[^}]*)\} (?P<count>\S+)$')
_LABEL = re.compile(r'(\w+)="([^"]*)"')


@dataclass
class Usage:
    """CPU seconds used so far by this process (the sandbox thread), finished children (locust), Gunicorn."""

    wall: float
    sandbox: float
    children: float
    gunicorn: float

    @classmethod
    def now(cls, gunicorn_pid: int | None) -> Usage:
        tree = 0.0
        if gunicorn_pid is not None:
            try:
                root = psutil.Process(gunicorn_pid)
                for proc in [root, *root.children(recursive=True)]:
                    times = proc.cpu_times()
                    tree += times.user + times.system
            except psutil.Error:
                pass
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(time.monotonic(), time.process_time(), kids.ru_utime + kids.ru_stime, tree)


def cpu_report(before: Usage, after: Usage) -> str:
    """One line: CPU seconds of each part and the machine's load average over the run."""
    wall = after.wall - before.wall
    parts = {"locust": after.children - before.children, "gunicorn": after.gunicorn - before.gunicorn,
             "sandbox (the bench process)": after.sandbox - before.sandbox}
    shares = ", ".join(f"{name} {cpu:.1f} s ({100 * cpu / wall:.0f} % of one core)" for name, cpu in parts.items())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"CPU over {wall:.0f} s: {shares}; load average now {load} on {psutil.cpu_count()} cores"


def _buckets(prometheus_text: str) -> dict[str, dict[float, float]]:
    """{url_rule: {bucket bound: cumulative count}} of the request-duration histogram, series added up."""
    routes: dict[str, dict[float, float]] = {}
    for line in prometheus_text.splitlines():
        match = _BUCKET.match(line)
        if not match:
            continue
        labels = dict(_LABEL.findall(match["labels"]))
        bound = float("inf") if labels.get("le") == "+Inf" else float(labels.get("le", "nan"))
        merged = routes.setdefault(labels.get("url_rule", "?"), {})
        merged[bound] = merged.get(bound, 0.0) + float(match["count"])  # one series per method/status
    return routes


def server_percentiles(after: str, before: str = "", quantiles: tuple[float, ...] = (0.5, 0.95, 0.99)) -> list[str]:
    """Per route (url_rule): requests between the two scrapes and the bucket bound holding each quantile
    (server-side time from the request's start to its response, all workers merged)."""
    start = _buckets(before)
    lines = []
    for rule, merged in sorted(_buckets(after).items()):
        ordered = sorted((bound, count - start.get(rule, {}).get(bound, 0.0)) for bound, count in merged.items())
        total = ordered[-1][1] if ordered else 0
        if total <= 0:
            continue
        marks = []
        for q in quantiles:
            bound = next(b for b, c in ordered if c >= q * total)
            name = f"p{int(q * 100)}"
            marks.append(f"{name} > max" if bound == float("inf") else f"{name} <= {bound * 1000:.0f} ms")
        lines.append(f"  {rule:48} {int(total):6d}  " + ", ".join(marks))
    return lines
