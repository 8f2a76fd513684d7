"""The sync CLI with the click runner: a source push with its summary, jobs list/show/retry, scheduler --once."""
from __future__ import annotations

import pytest

from tests.sync.conftest import mark_all_changed, sync_overrides


@pytest.fixture
def cli_env(monkeypatch, shop, tmp_path, mdm_file, mdm):
    mark_all_changed(mdm)
    for key, value in sync_overrides(shop.url, tmp_path, mdm_file, SYNC_SCHEDULE_STOCKS="* * * * *").items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.setenv("APP_ENV", "testing")


def test_sync_source_then_jobs_list_show_retry(cli_env, runner):
    from app.cli import cli

    result = runner.invoke(cli, ["sync", "source", "9"])
    assert result.exit_code == 0, result.output
    assert "SUCCEEDED" in result.output and "accepted=" in result.output
    listing = runner.invoke(cli, ["jobs", "list"])
    assert listing.exit_code == 0 and "stocks" in listing.output
    shown = runner.invoke(cli, ["jobs", "show", "1"])
    assert '"status": "succeeded"' in shown.output
    retried = runner.invoke(cli, ["jobs", "retry", "1"])
    assert "re-queued as job 2" in retried.output


def test_scheduler_once_fires_what_is_due(cli_env, runner):
    from app.cli import cli

    result = runner.invoke(cli, ["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert "stocks" in result.output and "-> job" in result.output
