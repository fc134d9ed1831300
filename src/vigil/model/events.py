"""Event (``events``): an entity with a check result and/or metrics.

Identity: an event is keyed by ``"<entity name>/<check name>"`` in the entity's namespace.
A metrics-only event (no check) uses the check name ``""``, i.e. ``"<entity name>/"``.

Top-level keys are declared alphabetically: Sensu renders events that carry an ``id`` (all
stored events do) through a map, so its JSON keys come out sorted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import ClassVar, Self

import msgspec

from vigil.errors import InvalidArgument
from vigil.model.base import Access, Columns, ObjectMeta, Resource
from vigil.model.checks import Check, validate_pipeline_refs
from vigil.model.common import MetricTag, ResourceReference
from vigil.model.entities import Entity
from vigil.model.meta import Int64, fail, join, new_meta, shown, shown_none, text, with_labels


class MetricPoint(msgspec.Struct, kw_only=True):
    name: str = shown(str)
    value: float = 0.0
    timestamp: Int64 = shown(int)
    tags: list[MetricTag] | None = shown_none()


class Metrics(msgspec.Struct, kw_only=True):
    handlers: list[str] | None = shown_none()
    points: list[MetricPoint] | None = shown_none()


class Event(Resource, kw_only=True, omit_defaults=True):
    TYPE: ClassVar[str] = "Event"
    PLURAL: ClassVar[str] = "events"
    FIELD_PREFIX: ClassVar[str] = "event"
    CLI_NAME: ClassVar[str] = "event"
    CLI_COLUMNS: ClassVar[Columns] = (
        ("Entity", "entity.metadata.name"),
        ("Check", "check.metadata.name"),
        ("Output", "@event_output"),
        ("Status", "check.status"),
        ("Silenced", "@event_silenced"),
        ("Timestamp", "@time:timestamp"),
        ("UUID", "id"),
    )
    NAMESPACE_CONTENT: ClassVar[bool] = True
    DEFAULT_ACCESS: ClassVar[Access] = "edit"
    REVEALS_NAMESPACES: ClassVar[bool] = True

    check: Check | None = None
    entity: Entity | None = None
    id: str | None = shown_none()
    metadata: ObjectMeta = new_meta()
    metrics: Metrics | None = None
    pipelines: list[ResourceReference] | None = shown_none()
    sequence: Int64 = shown(int)
    timestamp: Int64 = 0

    # --- identity -----------------------------------------------------------------------
    def check_name(self) -> str:
        return self.check.metadata.name if self.check is not None else ""

    def entity_name(self) -> str:
        return self.entity.metadata.name if self.entity is not None else ""

    def key_name(self) -> str:
        return f"{self.entity_name()}/{self.check_name()}"

    def key_namespace(self) -> str:
        if self.entity is not None and self.entity.metadata.namespace:
            return self.entity.metadata.namespace
        return self.metadata.namespace

    def set_created_by(self, username: str) -> None:
        """Sensu stamps the event, its check and its entity."""
        self.metadata.created_by = username
        for part in (self.check, self.entity):
            if part is not None:
                part.metadata.created_by = username

    # --- rules --------------------------------------------------------------------------
    def validate(self) -> None:
        if self.entity is None:
            fail("event must contain an entity")
        if self.check is None and self.metrics is None:
            fail("event must contain a check or metrics")
        _nested("entity is invalid: ", self.entity.validate)
        if self.check is not None:
            _nested("check is invalid: ", self.check.validate)
        validate_pipeline_refs(self.pipelines or [])
        if self.metadata.name:
            fail("events cannot be named")
        if self.id:
            _check_uuid(self.id)

    def fields(self) -> dict[str, str]:
        check = self.check or Check()
        entity = self.entity or Entity()
        silenced = text(bool(check.silenced))
        fields = {
            "event.name": self.metadata.name,
            "event.namespace": self.metadata.namespace,
            "event.is_silenced": silenced,
            "event.timestamp": str(self.timestamp),
            "event.check.handlers": join(check.handlers),
            "event.check.is_silenced": silenced,
            "event.check.last_ok": str(check.last_ok),
            "event.check.name": check.metadata.name,
            "event.check.publish": text(check.publish),
            "event.check.round_robin": text(check.round_robin),
            "event.check.runtime_assets": join(check.runtime_assets),
            "event.check.state": check.state,
            "event.check.status": str(check.status),
            "event.check.subscriptions": join(check.subscriptions),
            "event.entity.deregister": text(entity.deregister),
            "event.entity.name": entity.metadata.name,
            "event.entity.entity_class": entity.entity_class,
            "event.entity.subscriptions": join(entity.subscriptions),
        }
        # Sensu merges event, then entity, then check labels into the field set.
        for labels in (self.metadata.labels, entity.metadata.labels, check.metadata.labels):
            with_labels(self.FIELD_PREFIX, fields, labels)
        return fields

    def labels(self) -> dict[str, str]:
        """Entity labels, then check labels, then the event's own (the event wins)."""
        merged: dict[str, str] = {}
        for part in (self.entity, self.check):
            if part is not None and part.metadata.labels:
                merged.update(part.metadata.labels)
        merged.update(self.metadata.labels or {})
        return merged

    def public(self) -> Self:
        if self.entity is None:
            return self
        return msgspec.structs.replace(self, entity=self.entity.public())

    def is_silenced(self) -> bool:
        return self.check is not None and bool(self.check.silenced)


def _nested(prefix: str, validate: Callable[[], None]) -> None:
    try:
        validate()
    except InvalidArgument as exc:
        fail(prefix + exc.message)


def _check_uuid(value: str) -> None:
    try:
        uuid.UUID(value)
    except ValueError:
        fail(f"event ID is invalid: invalid UUID {value!r}")
