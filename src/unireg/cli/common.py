"""Options and helpers shared by the CLI's commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from unireg.api import Registry

client_option = click.option(
    "--client",
    "-c",
    required=True,
    envvar="UNIREG_CLIENT",
    help="Client whose registry to use (or set UNIREG_CLIENT).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def open_registry(ctx: click.Context, client: str) -> Registry:
    from unireg.api import Registry

    registry = Registry(client, config=ctx.obj)
    ctx.call_on_close(registry.close)
    return registry
