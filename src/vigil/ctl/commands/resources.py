"""Generic `list`, `info` and `delete` for every kind, built from the kind table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from vigil.ctl.context import CtlContext, pass_ctl
from vigil.ctl.formats import render_list, render_one
from vigil.ctl.kinds import KINDS, Kind

from .options import (
    F,
    confirm_deletion,
    format_option,
    list_options,
    namespace_option,
    skip_confirm_option,
)


def fetch_list(
    ctl: CtlContext,
    kind: Kind,
    namespace: str | None,
    *,
    chunk_size: int = 0,
    field_selector: str | None = None,
    label_selector: str | None = None,
) -> list[Any]:
    """GET a collection; `namespace=None` lists across all namespaces."""
    params: dict[str, str] = {}
    if field_selector:
        params["fieldSelector"] = field_selector
    if label_selector:
        params["labelSelector"] = label_selector
    path = kind.collection_path(namespace)
    return ctl.client().list(path, params, chunk_size)


def name_arguments(kind: Kind) -> tuple[str, ...]:
    return ("ENTITY", "CHECK") if kind.type == "Event" else ("NAME",)


def names_argument(kind: Kind) -> Callable[[F], F]:
    """NAME, or ENTITY CHECK for events."""
    labels = name_arguments(kind)
    return click.argument("names", nargs=len(labels), metavar=" ".join(labels), callback=_as_tuple)


def _as_tuple(_ctx: click.Context, _param: click.Parameter, value: Any) -> tuple[str, ...]:
    # click hands over a bare string when nargs is 1
    return (value,) if isinstance(value, str) else tuple(value)


def make_list_command(kind: Kind) -> click.Command:
    @click.command("list", help=f"List {kind.plural}.")
    @list_options
    @pass_ctl
    def list_command(
        ctl: CtlContext,
        fmt: str | None,
        namespace: str | None,
        all_namespaces: bool,
        chunk_size: int,
        field_selector: str | None,
        label_selector: str | None,
    ) -> None:
        across = all_namespaces or not kind.namespaced
        target = None if across else ctl.effective_namespace(namespace)
        items = fetch_list(
            ctl,
            kind,
            target,
            chunk_size=chunk_size,
            field_selector=field_selector,
            label_selector=label_selector,
        )
        with_ns = kind.namespaced and all_namespaces
        click.echo(render_list(kind, items, ctl.effective_format(fmt), with_namespace=with_ns))

    return list_command


def make_info_command(kind: Kind) -> click.Command:
    @click.command("info", help=f"Show one {kind.cli}.")
    @names_argument(kind)
    @format_option
    @namespace_option
    @pass_ctl
    def info_command(
        ctl: CtlContext, names: tuple[str, ...], fmt: str | None, namespace: str | None
    ) -> None:
        path = kind.object_path(ctl.effective_namespace(namespace), *names)
        obj = ctl.client().get(path)
        click.echo(render_one(kind, obj, ctl.effective_format(fmt)))

    return info_command


def make_delete_command(kind: Kind) -> click.Command:
    @click.command("delete", help=f"Delete one {kind.cli}.")
    @names_argument(kind)
    @skip_confirm_option
    @namespace_option
    @pass_ctl
    def delete_command(
        ctl: CtlContext, names: tuple[str, ...], skip_confirm: bool, namespace: str | None
    ) -> None:
        if not confirm_deletion("/".join(names), skip_confirm):
            click.echo("Canceled")
            return
        ctl.client().delete(kind.object_path(ctl.effective_namespace(namespace), *names))
        click.echo("Deleted")

    return delete_command


def make_resource_group(kind: Kind) -> click.Group:
    """`vigilctl <kind> list|info|delete`; families add their own commands to the group."""
    group = click.Group(kind.cli, help=f"Manage {kind.plural}.")
    for factory in (make_list_command, make_info_command, make_delete_command):
        group.add_command(factory(kind))
    return group


def resource_groups() -> dict[str, click.Group]:
    return {kind.cli: make_resource_group(kind) for kind in KINDS}
