#!/usr/bin/env bash
# The full test run (what `make test` and CI execute): pytest, then the contract and ops checks.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export APP_ENV=testing

echo "== pytest"
$PY -m pytest "$@"
