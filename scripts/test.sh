#!/usr/bin/env bash
# The full test run (what `make test` and CI execute): pytest, then the contract and ops checks.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export APP_ENV=testing

echo "== pytest"
$PY -m pytest "$@"

# ---------------------------------------------------------------------------------------------------
# Lint (ruff): pycodestyle, pyflakes, isort, bugbear and pyupgrade rules over the whole tree (rules,
# line length and exclusions in ruff.toml; the version is pinned in requirements-dev.txt). Every
# exception is a `# noqa: <rule>` with its reason beside it.
echo "== lint (ruff)"
.venv/bin/ruff check .

# ---------------------------------------------------------------------------------------------------
# Strict types (issue 16): mypy --strict over app/services, app/adapters and workers; the files, the strict
# flags and every per-module exception are in pyproject.toml [tool.mypy].
echo "== types (mypy --strict)"
.venv/bin/mypy

# ---------------------------------------------------------------------------------------------------
# Import direction (issue 16): api -> services -> adapters -> base, independent blueprint packages, a
# Flask-free image leaf and pool (contracts in pyproject.toml, [tool.importlinter]).
echo "== import contracts (import-linter)"
.venv/bin/lint-imports

# ---------------------------------------------------------------------------------------------------
# Schema fuzzing (issue 8): every documented operation x every role, seeded and bounded; prints the
# figure (operations, examples, failures) and fails the run on any failure. Two seeds, 8 examples per
# operation, role, mode and seed, within 150 s of requests shared out per operation (a loaded machine
# sends fewer, and the figure says how many were not sent); FUZZ_EXAMPLES / FUZZ_SEED / FUZZ_SEEDS /
# FUZZ_BUDGET override the defaults.
echo "== schema fuzzing (schemathesis)"
$PY -m tests.contract.fuzz

# ---------------------------------------------------------------------------------------------------
# Dependency health (issue 9): known vulnerabilities in requirements.txt (pip-audit, PyPI's advisory
# data; exceptions justified in pyproject.toml [tool.dependency-audit]; fails under CI when PyPI is
# unreachable), then unused / missing / transitive imports (deptry; exceptions in [tool.deptry]).
echo "== dependency audit (pip-audit)"
$PY scripts/audit_dependencies.py
echo "== dependency declarations (deptry)"
.venv/bin/deptry .
