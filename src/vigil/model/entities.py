"""Entity (``entities``): agents, proxies and their system facts.

The stored form keeps labels and annotations as given; ``public()`` is the form clients see,
with the values of sensitive keys (the entity's ``redact`` list, or Sensu's default list)
replaced by ``REDACTED``. The API must render ``public()``, never the stored object.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar, Self

import msgspec

from vigil.model.base import Access, Columns, ObjectMeta, Resource
from vigil.model.meta import (
    Int64,
    check_name,
    join,
    meta_fields,
    new_meta,
    require_namespace,
    shown,
    shown_none,
    text,
)

REDACTED = "REDACTED"
DEFAULT_REDACT = (
    "password",
    "passwd",
    "pass",
    "api_key",
    "api_token",
    "access_key",
    "secret_key",
    "private_key",
    "secret",
)
AGENT_CLASS = "agent"
PROXY_CLASS = "proxy"


class NetworkInterface(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: str = ""
    mac: str = ""
    addresses: list[str] | None = shown_none()


class Network(msgspec.Struct, kw_only=True):
    interfaces: list[NetworkInterface] | None = shown_none()


class Process(msgspec.Struct, kw_only=True):
    name: str = shown(str)


class System(msgspec.Struct, kw_only=True, omit_defaults=True):
    hostname: str = ""
    os: str = ""
    platform: str = ""
    platform_family: str = ""
    platform_version: str = ""
    network: Network = msgspec.field(default_factory=Network)
    arch: str = ""
    arm_version: int = 0
    libc_type: str = shown(str)
    vm_system: str = shown(str)
    vm_role: str = shown(str)
    cloud_provider: str = shown(str)
    float_type: str = ""
    processes: list[Process] | None = shown_none()


class Deregistration(msgspec.Struct, kw_only=True, omit_defaults=True):
    handler: str = ""


class Entity(Resource, kw_only=True, omit_defaults=True):
    TYPE: ClassVar[str] = "Entity"
    PLURAL: ClassVar[str] = "entities"
    FIELD_PREFIX: ClassVar[str] = "entity"
    CLI_NAME: ClassVar[str] = "entity"
    CLI_COLUMNS: ClassVar[Columns] = (
        ("ID", "@name"),
        ("Class", "entity_class"),
        ("OS", "system.os"),
        ("Subscriptions", "subscriptions"),
        ("Last Seen", "@time:last_seen"),
    )
    NAMESPACE_CONTENT: ClassVar[bool] = True
    DEFAULT_ACCESS: ClassVar[Access] = "edit"
    REVEALS_NAMESPACES: ClassVar[bool] = True

    entity_class: str = shown(str)
    system: System = msgspec.field(default_factory=System)
    subscriptions: list[str] | None = shown_none()
    last_seen: Int64 = shown(int)
    deregister: bool = shown(bool)
    deregistration: Deregistration = msgspec.field(default_factory=Deregistration)
    user: str = ""
    redact: list[str] = msgspec.field(default_factory=list)
    metadata: ObjectMeta = new_meta()
    sensu_agent_version: str = shown(str)
    keepalive_handlers: list[str] = msgspec.field(default_factory=list)

    def validate(self) -> None:
        check_name("entity", self.metadata.name)
        check_name("entity class", self.entity_class)
        require_namespace(self.metadata)

    def fields(self) -> dict[str, str]:
        fields = meta_fields(self.FIELD_PREFIX, self.metadata)
        fields.update(
            {
                "entity.deregister": text(self.deregister),
                "entity.entity_class": self.entity_class,
                "entity.subscriptions": join(self.subscriptions),
            }
        )
        return fields

    def public(self) -> Self:
        """A copy whose sensitive label and annotation values read ``REDACTED``."""
        meta = self.metadata
        if meta.labels is None and meta.annotations is None:
            return self
        redact = self.redact or DEFAULT_REDACT
        public_meta = msgspec.structs.replace(
            meta,
            labels=redact_map(meta.labels, redact),
            annotations=redact_map(meta.annotations, redact),
        )
        return msgspec.structs.replace(self, metadata=public_meta)


def _loose(key: str) -> str:
    """Sensu compares keys case-insensitively, dropping non-letters unless alphanumeric."""
    lowered = key.lower()
    if lowered.isalnum():
        return lowered
    return "".join(char for char in lowered if char.isalpha())


def is_redacted(key: str, redact: Iterable[str]) -> bool:
    if not key:
        return False
    wanted = _loose(key)
    return any(_loose(candidate) == wanted for candidate in redact)


def redact_map(values: Mapping[str, str] | None, redact: Iterable[str]) -> dict[str, str] | None:
    if values is None:
        return None
    keys = tuple(redact)
    return {key: REDACTED if is_redacted(key, keys) else value for key, value in values.items()}
