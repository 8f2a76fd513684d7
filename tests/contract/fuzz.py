"""Schema fuzzing of the real app under Gunicorn: every documented operation, a token for every role.

Run: `.venv/bin/python -m tests.contract.fuzz [--examples N] [--seed S] [--seeds K] [--budget B]`
(scripts/test.sh runs it after pytest). Fails (exit 1) on any 5xx other than a documented 503/504, on any
response whose status, content type or body the document does not describe, and on any route missing from
the document (or documented operation with no route). Seeded and bounded: K seeds (S, S+1, ...), each
with N positive and N negative examples per operation and role; Hypothesis does not shrink (failures are
recorded, not raised), and the requests share a time budget of B seconds: each operation gets an equal
share of what is left and stops sending once it has used it (the rest of its cases are generated but
not sent, and counted), so a slow operation or a loaded machine cannot stretch the run past B.
Prints the figure at the end: operations, examples (sent and not sent), failures, skipped (with why).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("APP_ENV", "testing")
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="techno-etl-fuzz-metrics-"))

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from magento_sandbox import SandboxOptions, start_sandbox_thread
from tests.contract.spec_routes import (
    describe,
    documented_operations,
    served_operations,
)
from tests.support.servers import TOKENS, GunicornServer

ROLES = ("viewer", "operator", "admin")
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]
TOLERATED_5XX = {503, 504}  # only when the operation documents them (a dependency is down)
# "METHOD /path" -> why it is not fuzzed. Every entry is printed in the figure.
SKIPPED = {
    "POST /api/testing/allocate": "holds up to 2 GiB per call in a worker (memory-recycling test hook); "
                                  "its validation is covered by tests/contract/test_validation.py",
}
# The rate limit would turn the run into a stream of 429s; its envelope is tested in tests/foundation.
# The MDM database is a small seeded SQLite file, so the MDM routes answer with data.
# Magento is the local sandbox (a thread in this process), so the Magento routes run for real; one
# attempt per call keeps a refused or faulty call from spending the retry budget on every example.
# A price sync answers 202 at once unless the example asks to wait (its job runs in the background).
SERVER_ENV = {"RATE_LIMIT_ENABLED": "false", "MAGENTO_RETRY_MAX_ATTEMPTS": "1", "SYNC_REQUEST_WAIT": "0"}
SANDBOX_ADMIN = ("admin", "sandbox123")


@dataclass
class Figure:
    operations: int = 0
    examples: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    unsatisfiable: set[str] = field(default_factory=set)
    over_budget: Counter = field(default_factory=Counter)  # operation -> examples not sent (budget spent)


def _server_error(case: Any, response: Any) -> str | None:
    status = response.status_code
    documented = str(status) in case.operation.definition.raw.get("responses", {})
    if status >= 500 and not (status in TOLERATED_5XX and documented):
        return f"server error {status}" + ("" if documented else " (undocumented)")
    return None


def _example(case: Any, response: Any) -> str:
    body = response.text[:300].replace("\n", " ")
    return (f"{case.method} {case.formatted_path} query={case.query} body={str(case.body)[:200]!r}"
            f" -> {response.status_code} {response.headers.get('content-type')} {body}")


def fuzz_operation(operation: Any, base_url: str, role: str, mode: GenerationMode, examples: int,
                   run_seed: int, figure: Figure, deadline: float = float("inf")) -> None:
    """Run `examples` cases of one operation as one role; record failures instead of raising them.
    Past `deadline` (monotonic) the remaining cases are generated but not sent."""
    headers = {"Authorization": f"Bearer {TOKENS[role]}"}
    seen: set[str] = set()

    @seed(run_seed)
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), print_blob=False, report_multiple_bugs=False)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        if time.monotonic() > deadline:
            figure.over_budget[operation.label] += 1
            return
        try:
            response = case.call(base_url=base_url, headers=headers, timeout=30)
        except Exception as exc:  # noqa: BLE001 (any transport error is a recorded failure, not a crash)
            figure.examples += 1
            figure.failures.append(f"{operation.label} [{role}, {mode.value}] request failed: {exc!r}")
            return
        figure.examples += 1
        figure.statuses[response.status_code] += 1
        problems = []
        server_error = _server_error(case, response)
        if server_error:
            problems.append(server_error)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:  # what the checks found
            for failure in group.exceptions:
                problems.append(getattr(failure, "title", None) or str(failure).splitlines()[0])
        for problem in problems:
            key = f"{operation.label} [{role}, {mode.value}] {problem}"
            if key not in seen:  # one line per distinct problem; the first example shows it
                seen.add(key)
                figure.failures.append(f"{key}\n      e.g. {_example(case, response)}")

    try:
        run()
    except Unsatisfiable:  # no input to make invalid (e.g. no parameters and no body): nothing to run
        figure.unsatisfiable.add(f"{operation.label} [{mode.value}]")


def check_routes(spec: dict[str, Any], figure: Figure) -> None:
    """Every served route is documented and every documented operation is served."""
    from config.parsers import _tokens
    from tests.support.servers import api_tokens_env
    from tests.testing_api import create_app

    tmp = tempfile.mkdtemp(prefix="techno-etl-fuzz-")
    app = create_app("testing", overrides={"API_TOKENS": _tokens(api_tokens_env()), "LOG_FILES": False,
                                           "APP_DATABASE_URL": f"sqlite:///{tmp}/app.sqlite3",
                                           "MDM_DATABASE_URL": f"sqlite:///{tmp}/mdm.sqlite3",
                                           "RUN_DIR": f"{tmp}/run"})
    served, documented = served_operations(app), documented_operations(spec)
    if served - documented:
        figure.failures.append(f"routes missing from the document: {describe(served - documented)}")
    if documented - served:
        figure.failures.append(f"documented operations with no route: {describe(documented - served)}")


def fuzz(base_url: str, examples: int, run_seed: int, seeds: int = 1, budget: float = float("inf")) -> Figure:
    """Fuzz every documented operation; `budget` seconds of requests in all, shared out per operation."""
    figure = Figure()
    resp = httpx.get(base_url + "/api/openapi.json", headers={"Authorization": f"Bearer {TOKENS['viewer']}"},
                     timeout=10)
    resp.raise_for_status()
    spec = resp.json()
    check_routes(spec, figure)
    schema = schemathesis.openapi.from_dict(spec)
    operations = [result.ok() for result in schema.get_all_operations()]
    end = time.monotonic() + budget
    for index, operation in enumerate(operations):
        if operation.label in SKIPPED:
            figure.skipped[operation.label] = SKIPPED[operation.label]
            continue
        figure.operations += 1
        started = time.monotonic()
        share = max(1.0, (end - started) / (len(operations) - index))  # an equal share of what is left
        for offset in range(seeds):
            for role in ROLES:
                for mode in MODES:
                    if time.monotonic() > started + share:  # share spent: not even generated
                        figure.over_budget[operation.label] += examples
                        continue
                    fuzz_operation(operation, base_url, role, mode, examples, run_seed + offset, figure,
                                   deadline=started + share)
        print(f"  {operation.label}: {time.monotonic() - started:.1f}s", flush=True)
    return figure


def report(figure: Figure, examples: int, run_seed: int, elapsed: float, seeds: int = 1,
           budget: float = float("inf")) -> None:
    print("\n== schema fuzzing figure")
    print(f"operations covered: {figure.operations} (x {len(ROLES)} roles x {len(MODES)} modes x {seeds} seeds "
          f"{list(range(run_seed, run_seed + seeds))}, up to {examples} examples each, {budget:g} s of requests)")
    print(f"examples run:       {figure.examples}")
    if figure.over_budget:
        print(f"not sent (budget):  up to {sum(figure.over_budget.values())} examples of {len(figure.over_budget)} "
              f"slow operations: {', '.join(sorted(figure.over_budget))}")
    print(f"statuses seen:      {dict(sorted(figure.statuses.items()))}")
    no_negative = sorted(u for u in figure.unsatisfiable if u.endswith("[negative]"))
    print(f"no negative cases:  {len(no_negative)} operations take no input to make invalid")
    for label in sorted(figure.unsatisfiable - set(no_negative)):
        print(f"  - no positive case could be generated: {label}")
    print(f"skipped:            {len(figure.skipped)}")
    for label, reason in figure.skipped.items():
        print(f"  - {label}: {reason}")
    print(f"failures:           {len(figure.failures)}")
    for failure in figure.failures:
        print(f"  - {failure}")
    print(f"elapsed:            {elapsed:.0f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", "8")),
                        help="examples per operation, role, mode and seed (default 8)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "20240801")))
    parser.add_argument("--seeds", type=int, default=int(os.environ.get("FUZZ_SEEDS", "2")),
                        help="seeds run per operation: --seed, --seed + 1, ... (default 2)")
    parser.add_argument("--budget", type=float, default=float(os.environ.get("FUZZ_BUDGET", "150")),
                        help="seconds of requests in all, shared out per operation (default 150)")
    parser.add_argument("--base-url", help="fuzz a running server instead of starting Gunicorn")
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.base_url:
        figure = fuzz(args.base_url.rstrip("/"), args.examples, args.seed, args.seeds, args.budget)
    else:
        shop = start_sandbox_thread("127.0.0.1", 0, options=SandboxOptions(
            products=50, seed=args.seed, consumer_delay_s=None, admin_username=SANDBOX_ADMIN[0],
            admin_password=SANDBOX_ADMIN[1]))
        server = GunicornServer(workers=2, env={**SERVER_ENV, "MAGENTO_URL": shop.url,
                                                "MAGENTO_USERNAME": SANDBOX_ADMIN[0],
                                                "MAGENTO_PASSWORD": SANDBOX_ADMIN[1]})
        seed_mdm(server.env["MDM_DATABASE_URL"], args.seed)
        try:
            server.start(timeout=90)  # a loaded CI box boots two workers slowly
            figure = fuzz(server.base_url, args.examples, args.seed, args.seeds, args.budget)
        finally:
            server.__exit__(None, None, None)
            shop.stop()
    report(figure, args.examples, args.seed, time.monotonic() - started, args.seeds, args.budget)
    return 1 if figure.failures else 0


def seed_mdm(url: str, seed: int) -> None:
    """A small deterministic MDM data set, so grids, prices and the MERGE run on real rows."""
    from app.adapters import sql
    from app.adapters.mdm.tables import mdm_engine
    from app.services.mdm.seed import seed_demo_data

    engine = mdm_engine(sql.create_engine_for(url, name="mdm"))
    try:
        seed_demo_data(engine, products=300, seed=seed)
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
