"""README.md stays true: every setting and every route is in its tables (scripts/readme_tables.py)."""
from __future__ import annotations

import re
from pathlib import Path

from config.settings import REMOVED, SETTINGS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table():
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in README]
    assert not missing, f"run scripts/readme_tables.py: {missing}"


def test_removed_variables_are_documented_once_and_mentioned_nowhere_else():
    root = Path(__file__).resolve().parents[2]
    assert not set(REMOVED) & {s.env for s in SETTINGS}
    guide = (root / "docs" / "configuration.md").read_text()
    assert [name for name in REMOVED if f"`{name}`" not in guide] == []
    docs = [root / "README.md", *sorted((root / "docs").glob("*.md")), *sorted((root / "deploy").rglob("*.*"))]
    stale = [(path.name, name) for path in docs if path.name != "configuration.md" and path.is_file()
             for name in REMOVED if re.search(rf"\b{name}\b", path.read_text(errors="replace"))]
    assert stale == [], "a removed variable is still documented as a setting"


def test_every_route_is_in_the_endpoint_table(app):
    missing = sorted({rule.rule for rule in app.url_map.iter_rules()
                      if not rule.rule.startswith("/api/testing") and f"`{rule.rule}`" not in README})
    assert not missing, f"run scripts/readme_tables.py: {missing}"


def test_readme_gives_the_two_commands_ci_runs():
    assert "make run" in README and "make test" in README
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
    assert "make test" in ci
