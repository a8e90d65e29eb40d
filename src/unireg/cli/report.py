"""``unireg report``: one view over every configured client's registry."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from unireg.errors import InvalidInputError

# Exit code of a report that could not read every client; the other clients'
# rows are still printed.
PARTIAL_EXIT_CODE = 3


@click.command()
@click.option(
    "--client", "-c", "clients", multiple=True, help="Only this client; repeatable."
)
@click.option(
    "--cloud",
    "clouds",
    multiple=True,
    help="Only clients on this backend, e.g. vertex; repeatable.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "markdown", "html"]),
    default="table",
    show_default=True,
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write to this file."
)
@click.option(
    "--concurrency",
    default=32,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Clients read at once.",
)
@click.option(
    "--timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds allowed to read one client.",
)
@click.pass_context
def report(
    ctx: click.Context,
    clients: tuple[str, ...],
    clouds: tuple[str, ...],
    output_format: str,
    output: str | None,
    concurrency: int,
    timeout: float,
) -> None:
    """Report every client's models: production, staging, checklists, health.

    Exits with 3 when some client could not be read; its row gives the reason.
    """
    from unireg.config import load_config
    from unireg.local.backend import default_home
    from unireg.report.gather import ReportOptions, gather
    from unireg.report.render import RENDERERS

    config = load_config(ctx.obj)
    known = sorted(config.clients) or _local_clients(default_home())
    for client in clients:
        config.client(client)
    selected = [
        name
        for name in known
        if (not clients or name in clients)
        and (not clouds or config.client(name).backend in clouds)
    ]
    if clients and not config.is_default:
        missing = sorted(set(clients) - set(known))
        if missing:
            raise InvalidInputError(f"unknown clients: {', '.join(missing)}")

    def progress(client: str, row: object) -> None:
        status = getattr(row, "status", "")
        if show_progress:
            done[0] += 1
            click.echo(
                f"\rread {done[0]}/{len(selected)} clients ({client}: {status})  ",
                err=True,
                nl=False,
            )

    done = [0]
    show_progress = (
        output_format == "table" and sys.stderr.isatty() and len(selected) > 1
    )
    result = gather(
        config,
        selected,
        ReportOptions(client_concurrency=concurrency, timeout_seconds=timeout),
        progress,
    )
    if show_progress:
        click.echo("", err=True)

    text = RENDERERS[output_format](result)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text.rstrip("\n"))
    if result.partial:
        ctx.exit(PARTIAL_EXIT_CODE)


def _local_clients(home: Path) -> list[str]:
    clients = home / "clients"
    if not clients.is_dir():
        return []
    return sorted(
        path.name for path in clients.iterdir() if (path / "registry.sqlite3").exists()
    )
