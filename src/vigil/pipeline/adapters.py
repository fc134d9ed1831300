"""The extension point of the handler pipeline: filter, mutator and handler adapters.

A workflow names its parts by reference (``{api_version, type, name}``). For each reference
the runner asks the registry for the first adapter whose ``can_run(ref)`` says yes, then awaits
its ``run``. The built-ins (``is_incident``, the ``json`` mutator, pipe/tcp/udp handlers, ...)
are adapters registered the same way as any other: each module offers ``register(registry)``.

Errors: an adapter raises ``PipelineError`` (or a subclass) when the rest of this event's
pipeline run must stop; anything else it raises is treated the same way by the runner.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from vigil.pipeline.commands import CommandPolicy

T = TypeVar("T")

Event = dict[str, Any]
Lookup = Callable[[str, str, str], Awaitable[dict[str, Any] | None]]
"""Fetch a stored resource as a dict by (kind, namespace, name); kinds are URL plurals."""

CORE_V2 = "core/v2"


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to a filter, mutator, handler or pipeline.

    ``resource`` optionally carries the resource already fetched while resolving the
    workflow, so the adapter need not fetch it again.
    """

    name: str
    type: str
    api_version: str = CORE_V2
    resource: Mapping[str, Any] | None = field(default=None, compare=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], default_type: str = "") -> Ref:
        return cls(
            name=str(raw.get("name", "")),
            type=str(raw.get("type") or default_type),
            api_version=str(raw.get("api_version") or CORE_V2),
        )

    def is_core(self, type_name: str) -> bool:
        return self.api_version == CORE_V2 and self.type == type_name

    def __str__(self) -> str:
        return f"{self.api_version}.{self.type}({self.name})"


class PipelineError(Exception):
    """A failure that stops the rest of this event's pipeline run."""


class MisconfiguredPipeline(PipelineError):
    """Nothing to run (no workflows, none of the handlers exist); logged quietly."""


class FilterError(PipelineError):
    pass


class MutatorError(PipelineError):
    pass


class HandlerError(PipelineError):
    def __init__(self, message: str, handler_type: str = "unknown") -> None:
        super().__init__(message)
        self.handler_type = handler_type


@dataclass(frozen=True, slots=True)
class HandlerResult:
    """What a handler run reports: its type (for metrics) and whether it succeeded.

    ``ok=False`` is a failure that does not stop the run (a pipe handler's non-zero exit).
    """

    handler_type: str
    ok: bool


class Offload(Protocol):
    """Run blocking work (JavaScript) in the pipeline's worker threads."""

    def __call__(self, func: Callable[[], T]) -> Awaitable[T]: ...


@dataclass(slots=True)
class RunContext:
    """Everything an adapter may use while handling one event."""

    namespace: str
    lookup: Lookup
    js_timeout: float
    offload: Offload
    log: logging.LoggerAdapter[logging.Logger]
    cache: dict[str, Any] = field(default_factory=dict)
    commands: CommandPolicy = field(default_factory=CommandPolicy)

    async def fetch(self, kind: str, name: str) -> dict[str, Any] | None:
        """The stored resource in the event's namespace (``spec`` unwrapped if wrapped)."""
        found = await self.lookup(kind, self.namespace, name)
        if isinstance(found, dict) and isinstance(found.get("spec"), dict):
            spec = dict(found["spec"])
            spec.setdefault("metadata", found.get("metadata", {}))
            return spec
        return found


class FilterAdapter(Protocol):
    def can_run(self, ref: Ref) -> bool: ...

    async def run(self, ref: Ref, event: Event, ctx: RunContext) -> bool:
        """True when the event passes the filter (the workflow goes on)."""
        ...


class MutatorAdapter(Protocol):
    def can_run(self, ref: Ref) -> bool: ...

    async def run(self, ref: Ref, event: Event, ctx: RunContext) -> bytes:
        """The payload the handler receives; raise MutatorError when mutation fails."""
        ...


class HandlerAdapter(Protocol):
    def can_run(self, ref: Ref) -> bool: ...

    async def run(self, ref: Ref, event: Event, payload: bytes, ctx: RunContext) -> HandlerResult:
        """Deliver ``payload``; raise HandlerError when the run must stop."""
        ...


class AdapterRegistry:
    """Ordered adapters; the first that accepts a reference runs it (built-ins come first)."""

    def __init__(self) -> None:
        self.filters: list[FilterAdapter] = []
        self.mutators: list[MutatorAdapter] = []
        self.handlers: list[HandlerAdapter] = []

    def add_filter(self, adapter: FilterAdapter) -> None:
        self.filters.append(adapter)

    def add_mutator(self, adapter: MutatorAdapter) -> None:
        self.mutators.append(adapter)

    def add_handler(self, adapter: HandlerAdapter) -> None:
        self.handlers.append(adapter)

    def filter_for(self, ref: Ref) -> FilterAdapter | None:
        return next((a for a in self.filters if a.can_run(ref)), None)

    def mutator_for(self, ref: Ref) -> MutatorAdapter | None:
        return next((a for a in self.mutators if a.can_run(ref)), None)

    def handler_for(self, ref: Ref) -> HandlerAdapter | None:
        return next((a for a in self.handlers if a.can_run(ref)), None)
