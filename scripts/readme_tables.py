"""Refresh the generated tables of README.md (configuration, endpoints) from the code.

    .venv/bin/python scripts/readme_tables.py

tests/foundation/test_readme.py fails when a setting or a route is missing from README.md.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _manage(*args: str) -> str:
    tmp = tempfile.mkdtemp(prefix="readme-tables-")
    env = {**os.environ, "APP_ENV": "development", "RUN_DIR": tmp, "APP_DATABASE_URL": f"sqlite:///{tmp}/app.db",
           "MDM_DATABASE_URL": f"sqlite:///{tmp}/mdm.db", "LOG_FILES": "false", "SYNC_RUNNER_ENABLED": "false"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


def _replace(text: str, name: str, table: str) -> str:
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    return pattern.sub(lambda m: m.group(1) + table + "\n" + m.group(2), text)


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    text = _replace(text, "config-table", _manage("config", "table"))
    text = _replace(text, "routes-table", _manage("routes", "--markdown"))
    readme.write_text(text)


if __name__ == "__main__":
    main()
