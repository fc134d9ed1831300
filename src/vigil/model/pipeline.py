"""Event processing resources: EventFilter (``filters``), Mutator (``mutators``),
Handler (``handlers``) and Pipeline (``pipelines``) with its workflows."""

from __future__ import annotations

from typing import ClassVar

import msgspec

from vigil.model.base import Access, Columns, ObjectMeta, Resource
from vigil.model.common import (
    ResourceReference,
    Secret,
    TimeWindowWhen,
    validate_expressions,
)
from vigil.model.meta import (
    UInt32,
    check_name,
    fail,
    join,
    meta_fields,
    name_error,
    new_meta,
    require_namespace,
    shown,
    shown_none,
)

FILTER_ACTIONS = ("allow", "deny")
HANDLER_TYPES = ("pipe", "tcp", "udp", "set")
MUTATOR_TYPES = ("", "pipe", "javascript")


class EventFilter(Resource, kw_only=True, omit_defaults=True):
    TYPE: ClassVar[str] = "EventFilter"
    PLURAL: ClassVar[str] = "filters"
    FIELD_PREFIX: ClassVar[str] = "filter"
    CLI_NAME: ClassVar[str] = "filter"
    CLI_COLUMNS: ClassVar[Columns] = (
        ("Name", "@name"),
        ("Action", "action"),
        ("Expressions", "@expressions"),
    )
    NAMESPACE_CONTENT: ClassVar[bool] = True
    DEFAULT_ACCESS: ClassVar[Access] = "edit"
    REVEALS_NAMESPACES: ClassVar[bool] = True

    metadata: ObjectMeta = new_meta()
    action: str = ""
    expressions: list[str] | None = shown_none()
    when: TimeWindowWhen | None = None
    runtime_assets: list[str] | None = shown_none()

    def validate(self) -> None:
        check_name("filter", self.metadata.name)
        if self.action not in FILTER_ACTIONS:
            fail(f"action '{self.action}' is not valid")
        if not self.expressions:
            fail("filter must have one or more expressions")
        validate_expressions(self.expressions)
        require_namespace(self.metadata)
        if self.when is not None:
            self.when.validate()

    def fields(self) -> dict[str, str]:
        fields = meta_fields(self.FIELD_PREFIX, self.metadata)
        fields["filter.action"] = self.action
        fields["filter.runtime_assets"] = join(self.runtime_assets)
        return fields


class Mutator(Resource, kw_only=True, omit_defaults=True):
    TYPE: ClassVar[str] = "Mutator"
    PLURAL: ClassVar[str] = "mutators"
    FIELD_PREFIX: ClassVar[str] = "mutator"
    CLI_NAME: ClassVar[str] = "mutator"
    CLI_COLUMNS: ClassVar[Columns] = (
        ("Name", "@name"),
        ("Command", "command"),
        ("Environment Variables", "env_vars"),
        ("Assets", "runtime_assets"),
    )
    NAMESPACE_CONTENT: ClassVar[bool] = True
    DEFAULT_ACCESS: ClassVar[Access] = "edit"
    REVEALS_NAMESPACES: ClassVar[bool] = True

    metadata: ObjectMeta = new_meta()
    command: str = ""
    timeout: UInt32 = shown(int)
    env_vars: list[str] | None = shown_none()
    runtime_assets: list[str] | None = shown_none()
    secrets: list[Secret] | None = shown_none()
    type: str = ""
    eval: str = ""

    def validate(self) -> None:
        check_name("mutator", self.metadata.name)
        if self.type not in MUTATOR_TYPES:
            fail(f"mutator type {self.type!r} is not valid: use pipe or javascript")
        if not self.command and not self.eval:
            fail("mutator must have a command or an eval")
        if self.type == "javascript" and self.command:
            fail("javascript mutators cannot have a command")
        require_namespace(self.metadata)

    def fields(self) -> dict[str, str]:
        fields = meta_fields(self.FIELD_PREFIX, self.metadata)
        fields["mutator.runtime_assets"] = join(self.runtime_assets)
        return fields


class HandlerSocket(msgspec.Struct, kw_only=True, omit_defaults=True):
    host: str = ""
    port: UInt32 = shown(int)


class Handler(Resource, kw_only=True, omit_defaults=True):
    TYPE: ClassVar[str] = "Handler"
    PLURAL: ClassVar[str] = "handlers"
    FIELD_PREFIX: ClassVar[str] = "handler"
    CLI_NAME: ClassVar[str] = "handler"
    CLI_COLUMNS: ClassVar[Columns] = (
        ("Name", "@name"),
        ("Type", "type"),
        ("Timeout", "timeout"),
        ("Filters", "filters"),
        ("Mutator", "mutator"),
        ("Execute", "@handler_execute"),
        ("Environment Variables", "env_vars"),
        ("Assets", "runtime_assets"),
    )
    NAMESPACE_CONTENT: ClassVar[bool] = True
    DEFAULT_ACCESS: ClassVar[Access] = "edit"
    REVEALS_NAMESPACES: ClassVar[bool] = True

    metadata: ObjectMeta = new_meta()
    type: str = ""
    mutator: str = ""
    command: str = ""
    timeout: UInt32 = shown(int)
    socket: HandlerSocket | None = None
    handlers: list[str] | None = shown_none()
    filters: list[str] | None = shown_none()
    env_vars: list[str] | None = shown_none()
    runtime_assets: list[str] | None = shown_none()
    secrets: list[Secret] | None = shown_none()

    def validate(self) -> None:
        check_name("handler", self.metadata.name)
        self._validate_type()
        require_namespace(self.metadata)

    def _validate_type(self) -> None:
        if not self.type:
            fail("empty handler type")
        if self.type not in HANDLER_TYPES:
            fail(f"unknown handler type: {self.type}")
        if self.type == "pipe" and not self.command.strip():
            fail("missing command")
        if self.type in ("tcp", "udp"):
            _validate_socket(self.socket)

    def fields(self) -> dict[str, str]:
        fields = meta_fields(self.FIELD_PREFIX, self.metadata)
        fields.update(
            {
                "handler.filters": join(self.filters),
                "handler.handlers": join(self.handlers),
                "handler.mutator": self.mutator,
                "handler.type": self.type,
            }
        )
        return fields


def _validate_socket(socket: HandlerSocket | None) -> None:
    if socket is None:
        fail("tcp and udp handlers need a valid socket")
    if not socket.host:
        fail("socket host undefined")
    if socket.port == 0:
        fail("socket port undefined")


class PipelineWorkflow(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: str = shown(str)
    filters: list[ResourceReference] = msgspec.field(default_factory=list)
    mutator: ResourceReference | None = None
    handler: ResourceReference | None = shown_none()

    def problem(self) -> str | None:
        """Sensu's workflow rules; the reason is prefixed with ``workflow `` by the caller."""
        reason = name_error(self.name)
        if reason:
            return f"name {reason}"
        for ref in self.filters:
            reason = _ref_problem(ref, "EventFilter", "filtering")
            if reason:
                return f"filter {reason}"
        if self.mutator is not None:
            reason = _ref_problem(self.mutator, "Mutator", "mutating")
            if reason:
                return f"mutator {reason}"
        if self.handler is None:
            return "handler must be set"
        reason = _ref_problem(self.handler, "Handler", "handling")
        return None if reason is None else f"handler {reason}"


def _ref_problem(ref: ResourceReference, kind: str, verb: str) -> str | None:
    reason = ref.problem()
    if reason is None and (ref.api_version, ref.type) != ("core/v2", kind):
        reason = f"resource type not capable of {verb} events: {ref.api_version}.{ref.type}"
    return reason


class Pipeline(Resource, kw_only=True, omit_defaults=True):
    TYPE: ClassVar[str] = "Pipeline"
    PLURAL: ClassVar[str] = "pipelines"
    FIELD_PREFIX: ClassVar[str] = "pipeline"
    CLI_NAME: ClassVar[str] = "pipeline"
    CLI_COLUMNS: ClassVar[Columns] = (
        ("Name", "@name"),
        ("Workflows", "@workflows"),
    )
    NAMESPACE_CONTENT: ClassVar[bool] = True

    metadata: ObjectMeta = new_meta()
    workflows: list[PipelineWorkflow] | None = shown_none()

    def validate(self) -> None:
        check_name("pipeline", self.metadata.name)
        require_namespace(self.metadata)
        for workflow in self.workflows or ():
            reason = workflow.problem()
            if reason:
                fail(f"workflow {reason}")

    def fields(self) -> dict[str, str]:
        return meta_fields(self.FIELD_PREFIX, self.metadata)
