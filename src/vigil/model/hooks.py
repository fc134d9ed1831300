"""HookConfig (``hooks``), the executed Hook carried in events, and check hook lists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

import msgspec

from vigil.model.base import Access, Columns, ObjectMeta, Resource
from vigil.model.meta import (
    Int64,
    UInt32,
    check_name,
    fail,
    meta_fields,
    new_meta,
    require_namespace,
    shown,
    shown_none,
)

HOOK_SEVERITIES = frozenset({"ok", "warning", "critical", "unknown", "non-zero"})

# A check's hook list entry: {"<type>": ["hook", ...]}.
HookList = dict[str, list[str]]


class HookConfig(Resource, kw_only=True, omit_defaults=True):
    TYPE: ClassVar[str] = "HookConfig"
    PLURAL: ClassVar[str] = "hooks"
    FIELD_PREFIX: ClassVar[str] = "hook"
    CLI_NAME: ClassVar[str] = "hook"
    CLI_COLUMNS: ClassVar[Columns] = (
        ("Name", "@name"),
        ("Command", "command"),
        ("Timeout", "timeout"),
        ("Stdin?", "stdin"),
    )
    NAMESPACE_CONTENT: ClassVar[bool] = True
    DEFAULT_ACCESS: ClassVar[Access] = "edit"
    REVEALS_NAMESPACES: ClassVar[bool] = True

    metadata: ObjectMeta = new_meta()
    command: str = ""
    timeout: UInt32 = shown(int)
    stdin: bool = shown(bool)
    runtime_assets: list[str] | None = shown_none()

    def validate(self) -> None:
        check_name("hook", self.metadata.name)
        if not self.command:
            fail("command cannot be empty")
        if self.timeout <= 0:
            fail("hook timeout must be greater than 0")
        require_namespace(self.metadata)

    def fields(self) -> dict[str, str]:
        return meta_fields(self.FIELD_PREFIX, self.metadata)


class Hook(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A hook as executed by an agent: its configuration flattened with the result."""

    metadata: ObjectMeta = new_meta()
    command: str = ""
    timeout: UInt32 = shown(int)
    stdin: bool = shown(bool)
    runtime_assets: list[str] | None = shown_none()
    duration: float = 0.0
    executed: Int64 = shown(int)
    issued: Int64 = shown(int)
    output: str = ""
    status: int = shown(int)


def hook_type_error(hook_type: str) -> str | None:
    if not hook_type:
        return "hook type must not be empty"
    if hook_type in HOOK_SEVERITIES:
        return None
    if hook_type.isdigit() and int(hook_type) <= 255:
        return None
    return (
        f"hook type {hook_type!r} is not valid: use an exit status from 0 to 255 or one of "
        "ok, warning, critical, unknown, non-zero"
    )


def validate_hook_lists(hook_lists: Iterable[Mapping[str, list[str]]] | None) -> None:
    for hook_list in hook_lists or ():
        for hook_type, names in hook_list.items():
            reason = hook_type_error(hook_type)
            if reason:
                fail(reason)
            if not names:
                fail(f"hook list for type {hook_type} must not be empty")
            for name in names:
                check_name("hook", name)
