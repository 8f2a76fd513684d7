"""README.md stays true: every setting and every route is in its tables (scripts/readme_tables.py)."""
from __future__ import annotations

from pathlib import Path

from config.settings import SETTINGS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table():
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in README]
    assert not missing, f"run scripts/readme_tables.py: {missing}"


def test_every_route_is_in_the_endpoint_table(app):
    missing = sorted({rule.rule for rule in app.url_map.iter_rules()
                      if not rule.rule.startswith("/api/testing") and f"`{rule.rule}`" not in README})
    assert not missing, f"run scripts/readme_tables.py: {missing}"


def test_readme_gives_the_two_commands_ci_runs():
    assert "make run" in README and "make test" in README
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
    assert "make test" in ci
