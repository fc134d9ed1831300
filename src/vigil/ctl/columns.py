"""Tabular columns per resource type, following sensuctl's choice of columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from vigil.model.base import Resource
from vigil.model.registry import by_type_name

Getter = Callable[[Mapping[str, Any]], str]
Column = tuple[str, Getter]
OUTPUT_WIDTH = 60


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(text(v) for v in value)
    return str(value)


def timestamp(value: Any) -> str:
    """Unix seconds in local time; 0 or missing is shown as N/A."""
    if not value:
        return "N/A"
    moment = datetime.fromtimestamp(int(value)).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S %z %Z")


def field(*path: str) -> Getter:
    def get(obj: Mapping[str, Any]) -> str:
        value: Any = obj
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        return text(value)

    return get


def name(obj: Mapping[str, Any]) -> str:
    return text((obj.get("metadata") or {}).get("name"))


def first_line(value: str) -> str:
    line = value.strip().splitlines()[0] if value.strip() else ""
    return line if len(line) <= OUTPUT_WIDTH else line[: OUTPUT_WIDTH - 3] + "..."


def check_hooks(obj: Mapping[str, Any]) -> str:
    names: list[str] = []
    for hook_list in obj.get("check_hooks") or []:
        for hook_type, hooks in hook_list.items():
            names.extend(f"{hook_type}:{h}" for h in hooks or [])
    return ",".join(names)


def handler_execute(obj: Mapping[str, Any]) -> str:
    kind = obj.get("type", "")
    if kind == "pipe":
        return f"RUN:  {text(obj.get('command'))}"
    if kind in ("tcp", "udp"):
        socket = obj.get("socket") or {}
        return f"PUSH: {kind}://{text(socket.get('host'))}:{text(socket.get('port'))}"
    if kind == "set":
        return f"CALL: {text(obj.get('handlers'))}"
    return ""


def asset_hash(obj: Mapping[str, Any]) -> str:
    return text(obj.get("sha512"))[:7]


def entity_os(obj: Mapping[str, Any]) -> str:
    return text((obj.get("system") or {}).get("os"))


def event_output(obj: Mapping[str, Any]) -> str:
    return first_line(text((obj.get("check") or {}).get("output")))


def event_silenced(obj: Mapping[str, Any]) -> str:
    return text(bool((obj.get("check") or {}).get("is_silenced")))


def expire(obj: Mapping[str, Any]) -> str:
    if obj.get("expire_at"):
        return timestamp(obj["expire_at"])
    return "-1" if obj.get("expire", 0) == -1 else text(obj.get("expire"))


def subjects(kind: str) -> Getter:
    def get(obj: Mapping[str, Any]) -> str:
        found = [s.get("name", "") for s in obj.get("subjects") or [] if s.get("type") == kind]
        return ",".join(found)

    return get


def role_ref(obj: Mapping[str, Any]) -> str:
    ref = obj.get("role_ref") or {}
    return f"{text(ref.get('type'))}/{text(ref.get('name'))}"


def rule_count(obj: Mapping[str, Any]) -> str:
    return str(len(obj.get("rules") or []))


def workflows(obj: Mapping[str, Any]) -> str:
    return ",".join(text(w.get("name")) for w in obj.get("workflows") or [])


def enabled(obj: Mapping[str, Any]) -> str:
    return text(not obj.get("disabled", False))


def expressions(obj: Mapping[str, Any]) -> str:
    return " && ".join(obj.get("expressions") or [])


# The "@..." presentations a model's CLI_COLUMNS may name.
NAMED: dict[str, Getter] = {
    "name": name,
    "check_hooks": check_hooks,
    "handler_execute": handler_execute,
    "asset_hash": asset_hash,
    "event_output": event_output,
    "event_silenced": event_silenced,
    "expire": expire,
    "role_ref": role_ref,
    "rule_count": rule_count,
    "workflows": workflows,
    "enabled": enabled,
    "expressions": expressions,
    "subjects:User": subjects("User"),
    "subjects:Group": subjects("Group"),
}


def getter(spec: str) -> Getter:
    """A model's column value: ``@time:<field>``, ``@<named>`` or a dotted JSON path."""
    if spec.startswith("@time:"):
        key = spec.removeprefix("@time:")
        return lambda obj: timestamp(obj.get(key))
    if spec.startswith("@"):
        return NAMED[spec[1:]]
    return field(*spec.split("."))


NAMESPACE_COLUMN: Column = ("Namespace", field("metadata", "namespace"))


def columns_for(type_name: str, with_namespace: bool = False) -> list[Column]:
    """The columns of a type (its model's ``CLI_COLUMNS``); `with_namespace` adds one for
    all-namespace lists."""
    cls = by_type_name(type_name)
    specs = cls.CLI_COLUMNS if cls is not None else Resource.CLI_COLUMNS
    chosen: list[Column] = [(header, getter(spec)) for header, spec in specs]
    if with_namespace:
        chosen.insert(1, NAMESPACE_COLUMN)
    return chosen
