"""Commands about the backend itself, with sensuctl's names, flags and output: ``version``,
``tessen info|opt-in|opt-out`` and ``cluster health|id|member-list|member-*``."""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from typing import Any

import click
from rich import box
from rich.table import Table

from vigil import __version__
from vigil.ctl.context import CtlContext, pass_ctl
from vigil.ctl.formats import table_text, to_json, to_yaml_documents
from vigil.ctl.kinds import API_PREFIX

from .options import format_option, skip_confirm_option

TESSEN = f"{API_PREFIX}/tessen"
CLUSTER = f"{API_PREFIX}/cluster"


@click.command("version", help="Show the vigilctl version.")
def version() -> None:
    # sensuctl's line: "sensuctl version <semver>, <edition>, ... built with <go>"
    click.echo(f"vigilctl version {__version__}, built with Python {platform.python_version()}")


def _plain(value: Any, fmt: str) -> str | None:
    """json/yaml output of a plain API object (not a wrapped resource); None for tabular."""
    if fmt == "json" or fmt == "wrapped-json":
        return to_json(value)
    if fmt == "yaml":
        return to_yaml_documents([value])
    return None


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=True)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table_text(table)


# --- tessen ---------------------------------------------------------------------------------
tessen = click.Group("tessen", help="Manage the tessen (call home) configuration.")


@tessen.command("info", help="Show the tessen configuration.")
@format_option
@pass_ctl
def tessen_info(ctl: CtlContext, fmt: str | None) -> None:
    config = ctl.client().get(TESSEN)
    text = _plain(config, ctl.effective_format(fmt))
    if text is None:
        text = f"=== Tessen Configuration\nOpt-Out: {str(bool(config.get('opt_out'))).lower()}"
    click.echo(text)


@tessen.command("opt-in", help="Opt in to the tessen call home service (Vigil never calls).")
@pass_ctl
def tessen_opt_in(ctl: CtlContext) -> None:
    ctl.client().put(TESSEN, {"opt_out": False})
    click.echo("Thank you so much for opting in!")


@tessen.command("opt-out", help="Opt out of the tessen call home service.")
@skip_confirm_option
@pass_ctl
def tessen_opt_out(ctl: CtlContext, skip_confirm: bool) -> None:
    if not skip_confirm and not click.confirm("Are you sure you want to opt out?"):
        click.echo("Phew! We're glad you decided to stick around for a while!")
        return
    ctl.client().put(TESSEN, {"opt_out": True})
    click.echo("I thought we were friends :( Remember, you can opt back in at any time!")


# --- cluster --------------------------------------------------------------------------------
cluster = click.Group("cluster", help="Show the backends of the cluster.")


def _title(header: Mapping[str, Any]) -> str:
    return f"=== Etcd Cluster ID: {int(header.get('cluster_id') or 0):x}"


@cluster.command("member-list", help="List cluster members.")
@format_option
@pass_ctl
def member_list(ctl: CtlContext, fmt: str | None) -> None:
    result = ctl.client().get(f"{CLUSTER}/members")
    text = _plain(result, ctl.effective_format(fmt))
    if text is None:
        rows = [
            (
                f"{int(m.get('ID') or 0):x}",
                str(m.get("name", "")),
                ",".join(m.get("peerURLs") or []),
                ",".join(m.get("clientURLs") or []),
            )
            for m in result.get("members") or []
        ]
        table = _table(("ID", "Name", "Peer URLs", "Client URLs"), rows)
        text = _title(result.get("header") or {}) + "\n" + table
    click.echo(text)


@cluster.command("id", help="Show the cluster id.")
@pass_ctl
def cluster_id(ctl: CtlContext) -> None:
    click.echo(f"sensu cluster id: {ctl.client().get(f'{CLUSTER}/id')}", nl=False)


@cluster.command("health", help="Get the cluster health.")
@format_option
@pass_ctl
def health(ctl: CtlContext, fmt: str | None) -> None:
    result = ctl.client().get("/health")
    text = _plain(result, ctl.effective_format(fmt))
    if text is None:
        rows = [
            (
                f"{int(m.get('MemberID') or 0):x}",
                str(m.get("Name", "")),
                str(m.get("Err") or ""),
                str(bool(m.get("Healthy"))).lower(),
            )
            for m in result.get("ClusterHealth") or []
        ]
        table = _table(("ID", "Name", "Error", "Healthy"), rows)
        text = _title(result.get("Header") or {}) + "\n" + table
    click.echo(text)


def _membership_change(name: str, verb: str) -> click.Command:
    """Kept for sensuctl's scripts: the backend answers that membership is automatic."""

    @click.command(name, help=f"{verb} a cluster member (Vigil: membership is automatic).")
    @click.argument("args", nargs=-1)
    @click.option("--peer-addrs", default="", help="Peer addresses (comma-separated).")
    @pass_ctl
    def command(ctl: CtlContext, args: tuple[str, ...], peer_addrs: str) -> None:
        client = ctl.client()
        query = {"peer-addrs": peer_addrs} if peer_addrs else None
        if name == "member-add":
            client.request("POST", f"{CLUSTER}/members", params=query)
        else:
            member = args[0] if args else "0"
            method = "PUT" if name == "member-update" else "DELETE"
            client.request(method, f"{CLUSTER}/members/{member}", params=query)

    return command


for _name, _verb in (
    ("member-add", "Add"),
    ("member-update", "Update"),
    ("member-remove", "Remove"),
):
    cluster.add_command(_membership_change(_name, _verb))
