"""`vigilctl edit TYPE NAME`: sensuctl's edit — the resource, wrapped, in `$EDITOR`, PUT back.

The file holds one wrapped document (YAML unless the format is json or wrapped-json). An
unchanged file writes nothing; a file that does not parse or route changes nothing and says why.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import click

from vigil.ctl.context import CtlContext, pass_ctl
from vigil.ctl.documents import parse_documents, to_request
from vigil.ctl.errors import CtlError
from vigil.ctl.formats import to_json, to_yaml_documents, wrap
from vigil.ctl.kinds import Kind, find_kind

from .options import format_option, namespace_option

DEFAULT_EDITOR = "vi"


def _object_path(kind: Kind, namespace: str, keys: tuple[str, ...]) -> str:
    if kind.singleton:
        return kind.object_path(None)
    if kind.type == "Event":
        if len(keys) != 2:
            raise CtlError("events need an entity and check component")
    elif len(keys) != 1:
        raise CtlError("resource name missing")
    return kind.object_path(namespace if kind.namespaced else None, *keys)


def _blank(kind: Kind, namespace: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": ""}
    if kind.namespaced:
        metadata["namespace"] = namespace
    return {} if kind.singleton else {"metadata": metadata}


def _render(document: dict[str, Any], json_format: bool) -> str:
    return (to_json(document) if json_format else to_yaml_documents([document])) + "\n"


def run_editor(path: Path) -> None:
    """`$EDITOR` split on white space (as sensuctl does), with this terminal as its stdio."""
    command = (os.environ.get("EDITOR") or "").split() or [DEFAULT_EDITOR]
    try:
        completed = subprocess.run([*command, str(path)], check=False)
    except OSError as exc:
        raise CtlError(f"cannot run editor {command[0]}: {exc.strerror or exc}") from exc
    if completed.returncode != 0:
        raise CtlError(f"editor exited with status {completed.returncode}; nothing changed")


@click.command(
    "edit", help="Edit a resource in $EDITOR and apply it (TYPE NAME, events: ENTITY CHECK)."
)
@click.argument("resource_type", metavar="TYPE")
@click.argument("keys", nargs=-1, metavar="[KEY]...")
@click.option("-b", "--blank", is_flag=True, help="Edit a blank resource, and create it on save.")
@format_option
@namespace_option
@pass_ctl
def edit(
    ctl: CtlContext,
    resource_type: str,
    keys: tuple[str, ...],
    blank: bool,
    fmt: str | None,
    namespace: str | None,
) -> None:
    kind = find_kind(resource_type)
    if kind is None:
        raise CtlError(f"invalid resource type: {resource_type}")
    ns = ctl.effective_namespace(namespace)
    json_format = ctl.effective_format(fmt) in ("json", "wrapped-json")
    current = _blank(kind, ns) if blank else ctl.client().get(_object_path(kind, ns, keys))
    original = _render(wrap(kind, current), json_format)
    suffix = ".json" if json_format else ".yaml"
    with tempfile.TemporaryDirectory(prefix="vigilctl-edit-") as directory:
        path = Path(directory) / f"sensu-resource{suffix}"
        path.write_text(original, encoding="utf-8")
        run_editor(path)
        changed = path.read_text(encoding="utf-8")
    if changed == original:
        return
    documents = parse_documents(changed)
    if not documents:
        raise CtlError("no resources were parsed")
    requests = [to_request(document, ns) for document in documents]
    client = ctl.client()
    for request in requests:
        client.request(request.method, request.path, json=request.body)
    click.echo(f"Updated {requests[0].path}")
