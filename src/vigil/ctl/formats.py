"""Output formats: tabular (rich), json (API objects), yaml and wrapped-json (create-able).

yaml and wrapped-json emit sensuctl's wrapped form, `{type, api_version, metadata, spec}`, so
their output can be fed back to `vigilctl create -f`.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml
from rich import box
from rich.console import Console
from rich.table import Table

from vigil.ctl.columns import columns_for
from vigil.ctl.kinds import CORE_V2, Kind

# Wide enough that piped tables are never wrapped; a terminal gets its real width.
PIPE_WIDTH = 4096


def wrap(kind: Kind, obj: Mapping[str, Any]) -> dict[str, Any]:
    """API object -> wrapped document; `metadata` is lifted out of the spec."""
    spec = {k: v for k, v in obj.items() if k != "metadata"}
    metadata = dict(obj.get("metadata") or {})
    return {"type": kind.type, "api_version": CORE_V2, "metadata": metadata, "spec": spec}


def to_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def to_yaml_documents(documents: Iterable[Mapping[str, Any]]) -> str:
    parts = [
        yaml.safe_dump(dict(doc), sort_keys=False, default_flow_style=False, allow_unicode=True)
        for doc in documents
    ]
    return "---\n".join(parts).rstrip("\n")


def to_wrapped_json(documents: Iterable[Mapping[str, Any]]) -> str:
    """Concatenated JSON objects, one per resource (what sensuctl create reads back)."""
    return "\n".join(to_json(doc) for doc in documents)


def console_width() -> int:
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return PIPE_WIDTH


def table_text(table: Table, width: int | None = None) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width or console_width(),
        color_system=None,
        highlight=False,
        emoji=False,
        markup=False,
    )
    console.print(table)
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    return "\n".join(lines).strip("\n")


def list_table(kind: Kind, items: Sequence[Mapping[str, Any]], with_namespace: bool) -> Table:
    columns = columns_for(kind.type, with_namespace)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=True)
    for header, _ in columns:
        table.add_column(header, overflow="fold")
    for item in items:
        table.add_row(*(getter(item) for _, getter in columns))
    return table


def info_table(kind: Kind, obj: Mapping[str, Any]) -> Table:
    columns = columns_for(kind.type, kind.namespaced)
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column("Field", style="bold")
    table.add_column("Value", overflow="fold")
    for header, getter in columns:
        table.add_row(f"{header}:", getter(obj))
    return table


def render_list(
    kind: Kind,
    items: Sequence[Mapping[str, Any]],
    fmt: str,
    *,
    with_namespace: bool = False,
    width: int | None = None,
) -> str:
    """Text for a list in `fmt`; tabular gets a Namespace column for all-namespace lists."""
    if fmt == "json":
        return to_json(list(items))
    if fmt == "yaml":
        return to_yaml_documents(wrap(kind, item) for item in items)
    if fmt == "wrapped-json":
        return to_wrapped_json(wrap(kind, item) for item in items)
    return table_text(list_table(kind, items, with_namespace), width)


def render_one(kind: Kind, obj: Mapping[str, Any], fmt: str, width: int | None = None) -> str:
    if fmt == "json":
        return to_json(obj)
    if fmt == "yaml":
        return to_yaml_documents([wrap(kind, obj)])
    if fmt == "wrapped-json":
        return to_json(wrap(kind, obj))
    return table_text(info_table(kind, obj), width)
