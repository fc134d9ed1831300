"""`vigilctl config view|set-namespace|set-format|set-timeout`: the stored preferences, with
sensuctl's names and output (``=== Active Configuration``, ``Updated``)."""

from __future__ import annotations

import click

from vigil.ctl.config import FORMATS
from vigil.ctl.context import CtlContext, pass_ctl
from vigil.ctl.errors import CtlError
from vigil.ctl.formats import to_json, to_yaml_documents
from vigil.ctl.globals import parse_duration

from .options import format_option


@click.group("config", help="Show or change the stored settings.")
def config_group() -> None:
    pass


def _duration(seconds: float) -> str:
    """Go's ``time.Duration`` text for whole seconds and minutes (15s, 1m30s)."""
    minutes, rest = divmod(int(seconds), 60)
    if minutes and rest:
        return f"{minutes}m{rest}s"
    return f"{minutes}m0s" if minutes else f"{rest}s"


@config_group.command("view", help="Show the active settings (tokens are not shown).")
@format_option
@pass_ctl
def view(ctl: CtlContext, fmt: str | None) -> None:
    config = ctl.config
    if not config.username:
        raise CtlError("no active configuration found")
    active = {
        "api-url": config.url,
        "namespace": ctl.effective_namespace(),
        "format": ctl.effective_format(),
        "timeout": _duration(ctl.timeout or config.timeout),
        "username": config.username,
        "jwt_expires_at": str(config.expires_at),
    }
    chosen = fmt or ""  # sensuctl: only an explicit --format changes this output
    if chosen in ("json", "wrapped-json"):
        click.echo(to_json(active))
        return
    if chosen == "yaml":
        click.echo(to_yaml_documents([active]))
        return
    labels = ("API URL", "Namespace", "Format", "Timeout", "Username", "JWT Expiration Timestamp")
    width = max(len(label) for label in labels) + 2  # sensuctl pads "Label: " to the longest
    click.echo("=== Active Configuration")
    for label, value in zip(labels, active.values(), strict=True):
        click.echo(f"{label + ': ':<{width}}{value}")


def _update(ctl: CtlContext, **changes: object) -> None:
    config = ctl.config
    for key, value in changes.items():
        setattr(config, key, value)
    ctl.save(config)
    click.echo("Updated")


@config_group.command("set-namespace", help="Make NAMESPACE the default namespace.")
@click.argument("namespace")
@pass_ctl
def set_namespace(ctl: CtlContext, namespace: str) -> None:
    _update(ctl, namespace=namespace)


@config_group.command("set-format", help="Make FORMAT the default output format.")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(FORMATS))
@pass_ctl
def set_format(ctl: CtlContext, fmt: str) -> None:
    _update(ctl, format=fmt)


@config_group.command("set-timeout", help="Set the timeout (a duration: 15s, 1m).")
@click.argument("timeout")
@pass_ctl
def set_timeout(ctl: CtlContext, timeout: str) -> None:
    _update(ctl, timeout=parse_duration(timeout))
