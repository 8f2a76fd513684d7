"""Ops commands: health, monit, routes, config check, token create, login unblock."""
from __future__ import annotations

import json
import os
import secrets
import sys
import time
from pathlib import Path

import click
import httpx
from rich.console import Console
from rich.live import Live
from rich.table import Table

from app.cli.startup import app_or_exit, settings_or_exit

EXIT = {"pass": 0, "warn": 1, "fail": 2}


def _headers(token: str | None) -> dict[str, str]:
    token = token or os.environ.get("TECHNO_ETL_TOKEN")
    return {"Authorization": f"Bearer {token}"} if token else {}


@click.command()
@click.option("--url", default=None, help="Base URL of the running server (default http://127.0.0.1:$PORT).")
@click.option("--token", default=None, help="Viewer token for the detailed report (or TECHNO_ETL_TOKEN).")
@click.option("--json", "as_json", is_flag=True, help="Print the raw health+json document.")
@click.option("--timeout", default=5.0, show_default=True)
def health(url: str | None, token: str | None, as_json: bool, timeout: float) -> None:
    """Call a running server's health endpoints; exit 0 pass, 1 warn, 2 fail, 3 unreachable."""
    url = (url or f"http://127.0.0.1:{os.environ.get('PORT', '5000')}").rstrip("/")
    headers = _headers(token)
    path = "/api/health/detailed" if headers else "/api/health/ready"
    try:
        resp = httpx.get(url + path, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        click.echo(f"unreachable: {url} ({exc.__class__.__name__}: {exc})", err=True)
        sys.exit(3)
    if resp.status_code in (401, 403):
        click.echo(f"{path}: {resp.status_code} — the token was refused", err=True)
        sys.exit(3)
    try:
        body = resp.json()
    except ValueError:
        click.echo(f"{path}: {resp.status_code}, not a health document", err=True)
        sys.exit(3)
    status = body.get("status", "fail")
    if as_json:
        click.echo(json.dumps(body, indent=2))
    else:
        table = Table(title=f"{url} — {status.upper()}")
        for column in ("check", "status", "observed", "output"):
            table.add_column(column)
        for key, entries in sorted(body.get("checks", {}).items()):
            for entry in entries:
                observed = f"{entry.get('observedValue')} {entry.get('observedUnit') or ''}".strip()
                table.add_row(key, entry.get("status", ""), observed, str(entry.get("output") or ""))
        Console().print(table)
        if not body.get("checks"):
            click.echo(f"status: {status} (pass a --token for the detailed checks)")
    sys.exit(EXIT.get(status, 2))


@click.command()
@click.option("--pidfile", default=None, help="Gunicorn pid file (default $RUN_DIR/gunicorn.pid).")
@click.option("--interval", default=2.0, show_default=True)
@click.option("--once", is_flag=True, help="Print one table and exit.")
def monit(pidfile: str | None, interval: float, once: bool) -> None:
    """A live table of the running Gunicorn's workers, like `pm2 monit`."""
    from app.services.worker_table import worker_rows

    settings = settings_or_exit()
    pidfile = pidfile or os.path.join(settings.server.run_dir, "gunicorn.pid")
    if not Path(pidfile).exists():
        click.echo(f"no Gunicorn pid file at {pidfile}: is the server running?", err=True)
        sys.exit(3)
    master = int(Path(pidfile).read_text().strip())
    metrics_dir = settings.server.prometheus_multiproc_dir or os.path.join(settings.server.run_dir, "metrics")

    def render() -> Table:
        table = Table(title=f"techno-etl master {master} — {time.strftime('%H:%M:%S')}")
        for column in ("pid", "age", "requests", "cpu %", "memory (worker+pool)", "pool procs"):
            table.add_column(column, justify="right")
        for row in worker_rows(master, metrics_dir):
            table.add_row(str(row["pid"]), f"{row['ageSeconds']:.0f}s", str(row["requests"]),
                          f"{row['cpuPercent']:.1f}", f"{row['memoryMb']:.1f} MiB", str(row["poolProcesses"]))
        return table

    console = Console()
    if once:
        console.print(render())
        return
    with Live(render(), console=console, refresh_per_second=1) as live:
        while True:
            time.sleep(interval)
            live.update(render())


@click.command()
@click.option("--markdown", is_flag=True, help="A Markdown table with each route's summary (the README's).")
def routes(markdown: bool) -> None:
    """List every route with its methods and the role it needs."""
    from app.security import required_role_for

    app = app_or_exit()
    if markdown:
        click.echo("| Method | Path | Role | What it does |\n|---|---|---|---|")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions[rule.endpoint]
        summary = ((view.__doc__ or "").strip().splitlines() or [""])[0]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            role = getattr(required_role_for(view, method), "value", required_role_for(view, method))
            if markdown:
                click.echo(f"| {method} | `{rule.rule}` | {role} | {summary} |")
            else:
                click.echo(f"{method:7} {rule.rule:55} {role}")


@click.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("table")
def config_table() -> None:
    """The configuration table of the README (every variable, its default, its meaning), in Markdown."""
    from config.settings import PLACES, ROOT

    click.echo("| Variable | Setting | Default | Meaning |\n|---|---|---|---|")
    for section, name, setting in PLACES:
        default = setting.default
        if isinstance(default, (list, tuple)):
            default = ",".join(":".join(map(str, d)) if isinstance(d, tuple) else str(d) for d in default)
        elif isinstance(default, dict):
            default = ",".join(f"{k}:{v}" for k, v in default.items())
        default = str(default).replace(str(ROOT), ".")
        per_env = ", ".join(f"{env}: {value}" for env, value in setting.per_env.items() if not setting.secret)
        extra = f" ({per_env})" if per_env else ""
        click.echo(f"| `{setting.env}` | `{section}.{name}` | `{default}`{extra} | {setting.help}"
                   f"{' Secret.' if setting.secret else ''} |")


@config.command("check")
@click.option("--env", "env", default=None, help="development, testing or production (default APP_ENV).")
def config_check(env: str | None) -> None:
    """Print the effective settings (secrets masked); exit 1 when invalid."""
    from config.settings import REMOVED

    settings = settings_or_exit(env)
    for name in sorted(set(REMOVED) & set(os.environ)):  # set but ignored: say where the value lives now
        click.echo(f"warning: {name} is no longer a setting (now {REMOVED[name]}); its value is ignored", err=True)
    click.echo(f"APP_ENV={settings.env}")
    for key, value in settings.as_dict().items():
        if key == "API_TOKENS":
            value = [f"{role}:{digest[:8]}…" for role, digest in value]
        click.echo(f"{key}={value}")


@click.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--role", type=click.Choice(["viewer", "operator", "admin"]), required=True)
def token_create(role: str) -> None:
    """Print a new random token and the API_TOKENS entry (its hash) to configure."""
    from app.security import hash_token

    value = secrets.token_urlsafe(32)
    click.echo(f"token:      {value}")
    click.echo(f"API_TOKENS: {role}:{hash_token(value)}")
    click.echo("Give the token to its user; configure only the API_TOKENS entry (comma-separated).")


@click.group()
def login() -> None:
    """The login route's per-username failure budget (LOGIN_MAX_FAILURES in LOGIN_FAILURE_WINDOW)."""


@login.command("unblock")
@click.argument("username")
def login_unblock(username: str) -> None:
    """Forget USERNAME's failed logins (every spelling of it) on this host and in Redis."""
    from app.services.magento.login_budget import budget_id, get_login_budget

    with app_or_exit().app_context():
        budget = get_login_budget()
        budget.clear(budget_id(username))
    click.echo(f"failed logins forgotten for {username.strip()!r} ({budget.backend}); "
               "unlock the account in Magento too if Magento itself locked it")


def register(cli: click.Group) -> None:
    for command in (health, monit, routes, config, token, login):
        cli.add_command(command)
