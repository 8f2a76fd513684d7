#!/usr/bin/env bash
# The full test run (what `make test` and CI execute): pytest, then the contract and ops checks.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export APP_ENV=testing

echo "== pytest"
$PY -m pytest "$@"

# ---------------------------------------------------------------------------------------------------
# Schema fuzzing (issue 8): every documented operation x every role, seeded and bounded; prints the
# figure (operations, examples, failures) and fails the run on any failure. FUZZ_EXAMPLES / FUZZ_SEED
# override the defaults.
echo "== schema fuzzing (schemathesis)"
$PY -m tests.contract.fuzz
