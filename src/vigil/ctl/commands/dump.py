"""`vigilctl dump`: every listed resource in wrapped form, ready for `create -f`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from vigil.ctl.context import CtlContext, pass_ctl
from vigil.ctl.errors import CtlError
from vigil.ctl.formats import to_wrapped_json, to_yaml_documents, wrap
from vigil.ctl.kinds import CORE_V2, DUMP_KINDS, Kind, find_kind

from .options import namespace_option
from .resources import fetch_list

# As sensuctl: `dump all` dumps every type unless told otherwise (`--omit core/v2.Event,...`).
DEFAULT_OMIT = ""


def _kinds_named(names: str) -> list[Kind]:
    found: list[Kind] = []
    for name in (n for n in names.split(",") if n.strip()):
        kind = find_kind(name)
        if kind is None:
            raise CtlError(f"unknown resource type: {name.strip()}")
        found.append(kind)
    return found


def select_kinds(types: str, omit: str) -> list[Kind]:
    """`all` or a comma-separated list, returned in the table's order (namespaces first)."""
    if types.strip().lower() == "all":
        omitted = set(_kinds_named(omit))
        return [kind for kind in DUMP_KINDS if kind not in omitted]
    wanted = set(_kinds_named(types))
    return [kind for kind in DUMP_KINDS if kind in wanted]


def dump_documents(ctl: CtlContext, kinds: list[Kind], namespace: str | None) -> list[Any]:
    documents: list[Any] = []
    for kind in kinds:
        if kind.singleton:
            documents.extend(wrap(kind, item) for item in _singleton(ctl, kind))
            continue
        target = namespace if kind.namespaced else None
        documents.extend(wrap(kind, item) for item in fetch_list(ctl, kind, target))
    return documents


def _singleton(ctl: CtlContext, kind: Kind) -> list[Any]:
    """The one object, or none where this user may not read it (sensuctl skips 403/404)."""
    try:
        return [ctl.client().get(kind.collection_path(None))]
    except CtlError as exc:
        if exc.status in (402, 403, 404):
            return []
        raise


@click.command("dump", help="Write resources (TYPES: comma-separated, or `all`) in wrapped form.")
@click.argument("types", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("yaml", "wrapped-json")),
    default="yaml",
    show_default=True,
)
@click.option("--all-namespaces", is_flag=True, help="Dump every namespace.")
@click.option(
    "-o", "--omit", default=DEFAULT_OMIT, show_default=True, help="Types left out of `all`."
)
@click.option("-f", "--file", "out_file", default=None, help="Write here instead of stdout.")
@click.option("-t", "--types", "list_types", is_flag=True, help="List the supported types.")
@namespace_option
@pass_ctl
def dump(
    ctl: CtlContext,
    types: str | None,
    fmt: str,
    all_namespaces: bool,
    omit: str,
    out_file: str | None,
    list_types: bool,
    namespace: str | None,
) -> None:
    """sensuctl's flags: ``-f``/``--file``, ``-o``/``--omit``, ``-t``/``--types``."""
    if list_types:
        click.echo("\n".join(f"{CORE_V2}.{kind.type}" for kind in DUMP_KINDS))
        return
    if not types:
        raise CtlError("give the types to dump (comma-separated) or `all`")
    kinds = select_kinds(types, omit)
    target = None if all_namespaces else ctl.effective_namespace(namespace)
    documents = dump_documents(ctl, kinds, target)
    text = to_yaml_documents(documents) if fmt == "yaml" else to_wrapped_json(documents)
    if out_file:
        Path(out_file).write_text(text + "\n", encoding="utf-8")
    elif text:
        click.echo(text)
