"""Running the service: `serve` (Flask's development server) and `up` (the full quick start)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from app.cli.startup import settings_or_exit
from config import Settings

ROOT = Path(__file__).resolve().parents[2]


@click.command()
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
def serve(host: str | None, port: int | None) -> None:
    """Flask's development server (one process; use Gunicorn for anything else)."""
    from app import create_app

    settings = settings_or_exit()
    host = host or "127.0.0.1"
    # Werkzeug's debugger runs code for whoever reaches it: only on loopback.
    debug = settings.env == "development" and host in ("127.0.0.1", "localhost", "::1")
    create_app().run(host=host, port=port or settings.server.port, debug=debug, use_reloader=False, threaded=True)


@click.command()
@click.option("--no-sandbox", is_flag=True, help="Do not start the Magento sandbox even if MAGENTO_URL is unset.")
def up(no_sandbox: bool) -> None:
    """Quick start: migrate, seed demo data if empty, start the sandbox when no shop is set, run Gunicorn."""
    settings = settings_or_exit()
    env = dict(os.environ)
    env.setdefault("APP_ENV", settings.env)
    if not settings.auth.secret_key and settings.env != "production":
        # A key of this installation, never a default shared by every checkout (anyone could sign tokens).
        env["SECRET_KEY"] = _instance_secret("dev-secret-key", 48)
    if not settings.auth.api_tokens and settings.env != "production":
        from app.security import hash_token

        token = _instance_secret("dev-admin-token", 24)
        env["API_TOKENS"] = f"admin:{hash_token(token)}"
        click.secho(f"Development admin token (from instance/dev-admin-token): {token}", fg="yellow")
    _prepare_data(env)
    sandbox = None
    if not settings.magento.url and not no_sandbox:
        sandbox = _start_sandbox(settings, env)
    click.secho(f"Starting Gunicorn on http://{settings.server.host}:{settings.server.port}", fg="green")
    gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=ROOT, env=env)
    sys.exit(supervise(gunicorn, [sandbox] if sandbox is not None else []))


def supervise(main: subprocess.Popen, others: list[subprocess.Popen]) -> int:
    """Wait for `main`, forwarding SIGTERM and SIGINT to every child; stop the others; return main's status.

    A supervisor (systemd, docker stop) signals only this process: without forwarding, Gunicorn and
    the sandbox would be left running. The status is main's, as a shell reports it (128 + signal).
    """
    children = [main, *others]

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        code = main.wait()
    finally:
        for other in others:
            if other.poll() is None:
                other.terminate()
            try:
                other.wait(timeout=10)
            except subprocess.TimeoutExpired:
                other.kill()
                other.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code


def _instance_secret(name: str, nbytes: int) -> str:
    """A random secret kept in instance/<name> (mode 0600), created on first use."""
    import secrets

    path = ROOT / "instance" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


def _start_sandbox(settings: Settings, env: dict[str, str]) -> subprocess.Popen:
    import httpx

    port = settings.magento.sandbox_port
    url = f"http://127.0.0.1:{port}"
    env.update(MAGENTO_URL=url, MAGENTO_USERNAME=env.get("SANDBOX_ADMIN_USERNAME", "admin"),
               MAGENTO_PASSWORD=env.get("SANDBOX_ADMIN_PASSWORD", "sandbox123"))
    # The demo shop takes its SKUs from MDM; the large one generates its own (the same codes as
    # `db seed --products 20000`) so its size never depends on what the MDM database holds.
    mdm = ["--mdm-url", settings.mdm.database_url] if settings.magento.sandbox_profile == "demo" else []
    proc = subprocess.Popen([sys.executable, "manage.py", "sandbox", "--port", str(port), *mdm], cwd=ROOT, env=env)
    for _ in range(100):
        try:
            httpx.get(url + "/__sandbox/stats", timeout=0.5)
            click.secho(f"Magento sandbox on {url} (MAGENTO_URL unset)", fg="green")
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise click.ClickException("the Magento sandbox did not start")


def _prepare_data(env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "manage.py", "db", "upgrade"], cwd=ROOT, env=env)
    if result.returncode:
        raise click.ClickException("database upgrade failed")
    if settings_or_exit().mdm.auto_seed:  # development: demo MDM data and voting board when empty (idempotent)
        from magento_sandbox.options import LARGE_PRODUCTS

        # The large sandbox reads its SKUs from MDM: seed the matching 20,000 products.
        size = ["--products", str(LARGE_PRODUCTS)] if settings_or_exit().magento.sandbox_profile == "large" else []
        subprocess.run([sys.executable, "manage.py", "db", "seed", "--if-empty", *size], cwd=ROOT, env=env,
                       check=True)
        subprocess.run([sys.executable, "manage.py", "db", "seed-voting"], cwd=ROOT, env=env, check=True)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=None, type=int, help="Default SANDBOX_PORT (8081).")
@click.option("--mdm-url", default=None,
              help="Seed the shop's SKUs from this MDM database (default MDM_DATABASE_URL for the demo profile).")
@click.option("--strict-limits", is_flag=True, help="Refuse arrays > 20 and pageSize > 300, like a strict shop.")
@click.option("--verbose", is_flag=True, help="Log every request the sandbox answers.")
def sandbox(host: str, port: int | None, mdm_url: str | None, strict_limits: bool, verbose: bool) -> None:
    """Run the Magento sandbox (development, demos, tests). Credentials: SANDBOX_ADMIN_USERNAME/PASSWORD."""
    import logging

    from magento_sandbox import SandboxOptions, run_sandbox
    from magento_sandbox.options import parse_latency

    if not verbose:  # the quick start shares one terminal with Gunicorn: keep the sandbox quiet
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    settings = settings_or_exit()
    options = SandboxOptions.from_env(profile=settings.magento.sandbox_profile,
                                      latency_ms=parse_latency(settings.magento.sandbox_latency_ms),
                                      strict_limits=True if strict_limits else None)
    click.echo(f"Sandbox profile {options.profile}, latency {settings.magento.sandbox_latency_ms} ms", err=True)
    if mdm_url is None and options.profile == "demo":
        mdm_url = settings.mdm.database_url
    run_sandbox(host, port or settings.magento.sandbox_port, mdm_url=mdm_url, options=options)


def register(cli: click.Group) -> None:
    for command in (serve, up, sandbox):
        cli.add_command(command)
