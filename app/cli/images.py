"""`manage.py images process PATH... --out DIR [--sizes ...]`: product-image variants with a progress bar."""
from __future__ import annotations

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from app.cli.startup import app_or_exit
from config.current import get_settings


@click.group()
def images() -> None:
    """Product images."""


@images.command("process")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_dir", default=None, help="Output directory (default IMAGE_OUTPUT_DIR).")
@click.option("--sizes", default="1200,600,300,150", show_default=True, help="Square sizes, comma-separated.")
@click.option("--format", "fmt", default="JPEG", type=click.Choice(["JPEG", "PNG", "WEBP"]), show_default=True)
@click.option("--quality", default=90, show_default=True, type=click.IntRange(1, 100))
def process(paths: tuple[str, ...], out_dir: str | None, sizes: str, fmt: str, quality: int) -> None:
    """Write square variants of each image, through this process's image pool."""
    from app.services.images.batch import process_paths
    from workers.pool import shutdown_image_pool

    try:
        size_list = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError as exc:
        raise click.BadParameter("sizes must be integers, e.g. 1200,600,300", param_hint="--sizes") from exc
    app = app_or_exit()
    target = out_dir or get_settings(app).images.output_dir
    console = Console()
    with app.app_context(), Progress(console=console) as progress:
        task = progress.add_task("images", total=len(paths))
        try:
            results = process_paths(list(paths), target, size_list, lambda done, total, result:
                                    progress.update(task, completed=done), format=fmt, quality=quality)
        finally:
            shutdown_image_pool()
    table = Table(title=f"{len(paths)} images -> {target}")
    for column in ("file", "outcome", "outputs"):
        table.add_column(column)
    failed = 0
    for result in results:
        failed += not result.ok
        table.add_row(str(result.path), "ok" if result.ok else f"{result.error}: {result.message}",
                      ", ".join(str(o) for o in result.outputs) if result.ok else "")
    console.print(table)
    raise SystemExit(1 if failed else 0)


def register(cli: click.Group) -> None:
    cli.add_command(images)
