"""Tabular columns per resource type, following sensuctl's choice of columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

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


BINDING: Sequence[Column] = (
    ("Name", name),
    ("Role Ref", role_ref),
    ("Users", subjects("User")),
    ("Groups", subjects("Group")),
)
ROLE: Sequence[Column] = (("Name", name), ("Rules", rule_count))

COLUMNS: dict[str, Sequence[Column]] = {
    "Asset": (("Name", name), ("URL", field("url")), ("Hash", asset_hash)),
    "CheckConfig": (
        ("Name", name),
        ("Command", field("command")),
        ("Interval", field("interval")),
        ("Cron", field("cron")),
        ("Timeout", field("timeout")),
        ("TTL", field("ttl")),
        ("Subscriptions", field("subscriptions")),
        ("Handlers", field("handlers")),
        ("Assets", field("runtime_assets")),
        ("Hooks", check_hooks),
        ("Publish?", field("publish")),
        ("Stdin?", field("stdin")),
        ("Metric Format", field("output_metric_format")),
        ("Metric Handlers", field("output_metric_handlers")),
    ),
    "Entity": (
        ("ID", name),
        ("Class", field("entity_class")),
        ("OS", entity_os),
        ("Subscriptions", field("subscriptions")),
        ("Last Seen", lambda o: timestamp(o.get("last_seen"))),
    ),
    "Event": (
        ("Entity", field("entity", "metadata", "name")),
        ("Check", field("check", "metadata", "name")),
        ("Output", event_output),
        ("Status", field("check", "status")),
        ("Silenced", event_silenced),
        ("Timestamp", lambda o: timestamp(o.get("timestamp"))),
        ("UUID", field("id")),
    ),
    "EventFilter": (
        ("Name", name),
        ("Action", field("action")),
        ("Expressions", lambda o: " && ".join(o.get("expressions") or [])),
    ),
    "Handler": (
        ("Name", name),
        ("Type", field("type")),
        ("Timeout", field("timeout")),
        ("Filters", field("filters")),
        ("Mutator", field("mutator")),
        ("Execute", handler_execute),
        ("Environment Variables", field("env_vars")),
        ("Assets", field("runtime_assets")),
    ),
    "HookConfig": (
        ("Name", name),
        ("Command", field("command")),
        ("Timeout", field("timeout")),
        ("Stdin?", field("stdin")),
    ),
    "Mutator": (
        ("Name", name),
        ("Command", field("command")),
        ("Environment Variables", field("env_vars")),
        ("Assets", field("runtime_assets")),
    ),
    "Pipeline": (("Name", name), ("Workflows", workflows)),
    "Silenced": (
        ("Name", name),
        ("Subscription", field("subscription")),
        ("Check", field("check")),
        ("Begin", lambda o: timestamp(o.get("begin"))),
        ("Expire", expire),
        ("ExpireOnResolve", field("expire_on_resolve")),
        ("Creator", field("creator")),
        ("Reason", field("reason")),
    ),
    "Namespace": (("Name", field("name")),),
    "User": (("Username", field("username")), ("Groups", field("groups")), ("Enabled", enabled)),
    "APIKey": (
        ("Name", name),
        ("Username", field("username")),
        ("Created At", lambda o: timestamp(o.get("created_at"))),
    ),
    "Role": ROLE,
    "ClusterRole": ROLE,
    "RoleBinding": BINDING,
    "ClusterRoleBinding": BINDING,
}

NAMESPACE_COLUMN: Column = ("Namespace", field("metadata", "namespace"))


def columns_for(type_name: str, with_namespace: bool = False) -> list[Column]:
    """The columns of a type; `with_namespace` adds one for all-namespace lists."""
    chosen = list(COLUMNS.get(type_name, (("Name", name),)))
    if with_namespace:
        chosen.insert(1, NAMESPACE_COLUMN)
    return chosen
