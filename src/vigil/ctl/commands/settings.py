"""`vigilctl config view|set-namespace|set-format`: edit the stored preferences."""

from __future__ import annotations

import click

from vigil.ctl.config import FORMATS
from vigil.ctl.context import CtlContext, pass_ctl


@click.group("config", help="Show or change the stored settings.")
def config_group() -> None:
    pass


@config_group.command("view", help="Show the active settings (tokens are not shown).")
@pass_ctl
def view(ctl: CtlContext) -> None:
    config = ctl.config
    rows = {
        "API URL": config.url,
        "Namespace": ctl.effective_namespace(),
        "Format": ctl.effective_format(),
        "Username": config.username,
        "Config file": str(ctl.directory / "config.json"),
    }
    width = max(len(key) for key in rows)
    for key, value in rows.items():
        click.echo(f"{key + ':':<{width + 1}} {value}")


@config_group.command("set-namespace", help="Make NAMESPACE the default namespace.")
@click.argument("namespace")
@pass_ctl
def set_namespace(ctl: CtlContext, namespace: str) -> None:
    config = ctl.config
    config.namespace = namespace
    ctl.save(config)
    click.echo(f"Namespace set to {namespace}")


@config_group.command("set-format", help="Make FORMAT the default output format.")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(FORMATS))
@pass_ctl
def set_format(ctl: CtlContext, fmt: str) -> None:
    config = ctl.config
    config.format = fmt
    ctl.save(config)
    click.echo(f"Format set to {fmt}")
