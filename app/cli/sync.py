"""`manage.py sync prices|stocks|source CODE|all|snapshots`, `manage.py jobs list|show|retry`, `manage.py scheduler`."""
from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.cli.startup import app_or_exit

console = Console()


def _run(app: Any, submit: Callable[..., int]) -> Any:
    """Enqueue the job with `submit` (a typed submit function) and run it here with a progress bar per
    source; returns the final record."""
    from app.services import jobs

    with app.app_context():
        job_id = submit(requested_by=f"cli:{os.environ.get('USER', '?')}", start=False)
        kind = jobs.get_jobs().get_job(job_id).kind
        console.print(f"job {job_id} ({kind})")
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as progress:
            bars: dict[str, Any] = {}

            def show(ctx: Any) -> None:
                for part, entry in list(ctx.progress.get("sources", {}).items()):
                    if part not in bars:
                        bars[part] = progress.add_task(f"{kind} {part}", total=entry.get("total") or None)
                    progress.update(bars[part], completed=entry.get("done", 0), total=entry.get("total") or None,
                                    description=f"{kind} {part} [{entry.get('status', '')}]")
            record = jobs.get_jobs(app).runner().run_inline(job_id, listener=show)
    _summary(record)
    return record


def _summary(record: Any) -> None:
    table = Table(title=f"job {record.id} ({record.kind}): {record.status.upper()}")
    for column in ("part", "done", "total", "status"):
        table.add_column(column)
    for part, entry in sorted(record.progress.get("sources", {}).items(), key=lambda kv: kv[0].zfill(6)):
        table.add_row(part, str(entry.get("done", 0)), str(entry.get("total", 0)), str(entry.get("status", "")))
    console.print(table)
    console.print("counts: " + ", ".join(f"{k}={v}" for k, v in sorted(record.counts.items())))
    for error in record.errors[:10]:
        console.print(f"  [red]{error.get('sku', '')} {error.get('sourceCode', '')}[/red] {error.get('message')}")
    if len(record.errors) > 10:
        console.print(f"  ... {len(record.errors) - 10} more errors (manage.py jobs show {record.id})")
    if record.message:
        console.print(record.message)


@click.group("sync")
def sync_group() -> None:
    """Push prices and stocks to Magento now (runs the job in this process)."""


@sync_group.command("prices")
def sync_prices() -> None:
    """Push MDM's prices (async bulk, base-prices fallback)."""
    from app.services.sync.submit import submit_price_sync

    _exit(_run(app_or_exit(), submit_price_sync))


@sync_group.command("stocks")
@click.option("--full", is_flag=True, help="Re-push every row, not only changed ones.")
def sync_stocks(full: bool) -> None:
    """The stock pipeline: MERGE, push every source, acknowledge what Magento accepted."""
    from app.services.sync.submit import submit_stock_sync

    _exit(_run(app_or_exit(), partial(submit_stock_sync, None, merge=True, full=full)))


@sync_group.command("source")
@click.argument("code")
def sync_source(code: str) -> None:
    """Push one source's changed rows (CODE = MDM code_source)."""
    from app.services.sync.submit import submit_stock_sync

    _exit(_run(app_or_exit(), partial(submit_stock_sync, [code], merge=False)))


@sync_group.command("all")
def sync_all() -> None:
    """Stocks (with MERGE), then prices."""
    from app.services.sync.submit import submit_price_sync, submit_stock_sync

    app = app_or_exit()
    first = _run(app, partial(submit_stock_sync, None, merge=True))
    second = _run(app, submit_price_sync)
    _exit(first if first.status == "failed" else second)


@sync_group.command("snapshots")
@click.option("--full", is_flag=True, help="Re-read everything, not only what changed.")
def sync_snapshots(full: bool) -> None:
    """Build the dashboard chart snapshots from Magento now (e.g. once at install, before the first start)."""
    from app.services.snapshots import submit_build

    _exit(_run(app_or_exit(), partial(submit_build, full=full)))


def _exit(record: Any) -> None:
    sys.exit({"succeeded": 0, "partial": 1}.get(record.status, 2))


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs recorded in the app database."""


@jobs_group.command("list")
@click.option("--kind", default=None)
@click.option("--status", default=None)
@click.option("--limit", default=20, show_default=True)
def jobs_list(kind: str | None, status: str | None, limit: int) -> None:
    from app.services import jobs

    app = app_or_exit()
    with app.app_context():
        page, total = jobs.get_jobs().list_jobs(kind=kind, status=status, limit=limit)
    table = Table(title=f"{total} jobs")
    for column in ("id", "kind", "status", "progress", "accepted", "rejected", "attempts", "created", "message"):
        table.add_column(column)
    for r in page:
        table.add_row(str(r.id), r.kind, r.status, f"{r.progress.get('done', 0)}/{r.progress.get('total', 0)}",
                      str(r.counts.get("accepted", "")), str(r.counts.get("rejected", "")), str(r.attempts),
                      r.created_at.isoformat(timespec="seconds"), (r.message or "")[:60])
    console.print(table)


@jobs_group.command("show")
@click.argument("job_id", type=int)
def jobs_show(job_id: int) -> None:
    from app.services import jobs

    app = app_or_exit()
    with app.app_context():
        record = jobs.get_jobs().get_job(job_id)
    if record is None:
        raise click.ClickException(f"no job {job_id}")
    click.echo(json.dumps(record.as_dict(), indent=2, default=str))


@jobs_group.command("retry")
@click.argument("job_id", type=int)
def jobs_retry(job_id: int) -> None:
    """Queue a new job with the same kind and parameters (a running worker picks it up)."""
    from app.services import jobs

    app = app_or_exit()
    with app.app_context():
        record = jobs.get_jobs().get_job(job_id)
        if record is None:
            raise click.ClickException(f"no job {job_id}")
        new_id = jobs.get_jobs().submit(jobs.JobRequest(record.kind, record.params), requested_by=f"retry:{job_id}",
                                        start=False)
    click.echo(f"job {job_id} re-queued as job {new_id}")


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Fire what is due now and exit.")
def scheduler_command(once: bool) -> None:
    """Run the sync scheduler in this process (set SYNC_SCHEDULER_ENABLED=false on the workers to use it alone;
    running both is safe: each occurrence fires once)."""
    from app.services.sync.background import get_sync

    app = app_or_exit()
    with app.app_context():
        scheduler = get_sync(app).make_scheduler(owner=f"scheduler:{socket.gethostname()}:{os.getpid()}")
        if once:
            for name, due, job_id in scheduler.tick_once():
                click.echo(f"{name} {due.isoformat()} -> job {job_id}")
            return
        click.echo(f"scheduler running: {', '.join(f'{s.name} [{s.cron}]' for s in scheduler.schedules)}")
        try:
            scheduler.run_forever()
        except KeyboardInterrupt:
            scheduler.stop()


def register(cli: click.Group) -> None:
    cli.add_command(sync_group)
    cli.add_command(jobs_group)
    cli.add_command(scheduler_command)
