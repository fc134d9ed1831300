"""pipelined: a bounded queue of events and the workers that run their pipelines.

``submit`` only enqueues (never waits), so the API is never slowed by handlers: when the queue
is full the event is dropped, counted and logged. Each worker takes one event at a time and:

1. collects references: the event's ``pipelines`` (``core/v2 Pipeline``) and, when the check or
   metrics name handlers, the legacy pipeline built from them (sets expanded);
2. runs each reference's workflows in order: filters (the first that denies skips only that
   workflow), then the mutator (``json`` by default), then the handler. Any error stops the rest
   of that reference's workflows; it is logged with the event's context and counted, and the
   worker moves on. Nothing raises out of a worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from vigil.model.entities import DEFAULT_REDACT, redact_map
from vigil.model.pipeline import Handler, Pipeline
from vigil.pipeline import filters, handlers, js, mutators
from vigil.pipeline.adapters import (
    AdapterRegistry,
    Event,
    FilterError,
    HandlerError,
    Lookup,
    MisconfiguredPipeline,
    MutatorError,
    PipelineError,
    Ref,
    RunContext,
)
from vigil.pipeline.commands import CommandPolicy
from vigil.settings import Settings

T = TypeVar("T")
log = logging.getLogger("vigil.pipeline")

LEGACY_PIPELINE = Ref(name="legacy-pipeline", type="LegacyPipeline")
MAX_SET_DEPTH = 3  # handler names of a check are level 1; members of a set one level deeper
_DROP_LOG_EVERY = 1000


class PipelineMetrics(Protocol):
    """Counters the runner reports to (the app backs them with prometheus-client)."""

    def event_dropped(self) -> None: ...

    def handler_result(self, handler_type: str, ok: bool) -> None: ...

    def filter_error(self) -> None: ...

    def script_failure(self, reason: str) -> None: ...


class _NoMetrics:
    def event_dropped(self) -> None:
        pass

    def handler_result(self, handler_type: str, ok: bool) -> None:
        pass

    def filter_error(self) -> None:
        pass

    def script_failure(self, reason: str) -> None:
        pass


class UnsupportedPipeline(PipelineError):
    """A reference no pipeline adapter accepts; the event's remaining references are skipped."""


@dataclass(frozen=True, slots=True)
class Workflow:
    name: str
    filters: tuple[Ref, ...]
    mutator: Ref | None
    handler: Ref


def default_registry() -> AdapterRegistry:
    """The built-in filters, mutators and handlers, registered like any other adapter."""
    registry = AdapterRegistry()
    for module in (filters, mutators, handlers):
        module.register(registry)
    return registry


class _EventLog(logging.LoggerAdapter[logging.Logger]):
    """Appends the event's identity to every line, and passes it as ``extra`` too."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        extra = self.extra or {}
        kwargs["extra"] = {**extra, **kwargs.get("extra", {})}
        return f"{msg} [{extra.get('event_context', '')}]", kwargs


class PipelineRunner:
    def __init__(
        self,
        lookup: Lookup,
        settings: Settings,
        metrics: PipelineMetrics | None = None,
        *,
        registry: AdapterRegistry | None = None,
    ) -> None:
        self._lookup = lookup
        self._settings = settings
        self._commands = CommandPolicy.from_settings(settings)
        self._metrics: PipelineMetrics = metrics or _NoMetrics()
        self._registry = registry or default_registry()
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=settings.pipeline_queue_size)
        self._workers: list[asyncio.Task[None]] = []
        self._accepting = True
        # JavaScript blocks its thread; as many threads as the sandbox has engines.
        self._executor = ThreadPoolExecutor(js.DEFAULT_POOL_SIZE, thread_name_prefix="vigil-js")
        self.dropped = 0

    # --- queue --------------------------------------------------------------------------------

    def submit(self, event: Event) -> bool:
        """Queue ``event`` for the workers; False (counted, logged) if full or stopping.

        An event that names no pipeline and no handler is not queued at all: there is
        nothing to run, and most events are like that. Call from the event loop's thread;
        it never waits.
        """
        if not has_pipelines(event):
            if log.isEnabledFor(logging.DEBUG):
                log.debug("no pipelines defined in resource (%s)", _describe(event))
            return True
        if self._accepting:
            try:
                self._queue.put_nowait(event)
                return True
            except asyncio.QueueFull:
                pass
        self.dropped += 1
        self._metrics.event_dropped()
        if self.dropped % _DROP_LOG_EVERY == 1:
            log.warning(
                "pipeline queue full or stopping: event dropped (%d dropped so far, %s)",
                self.dropped,
                _describe(event),
            )
        return False

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    async def start(self) -> None:
        self._accepting = True
        for index in range(max(1, self._settings.pipeline_workers)):
            self._workers.append(asyncio.create_task(self._work(), name=f"pipelined-{index}"))

    async def stop(self, drain_timeout: float) -> None:
        """Stop taking events, let the workers finish what is queued for up to
        ``drain_timeout`` seconds, then cancel them (running commands are killed)."""
        self._accepting = False
        if self._workers:
            try:
                await asyncio.wait_for(self._queue.join(), drain_timeout)
            except TimeoutError:
                log.warning("pipeline stopped with %d events not handled", self._queue.qsize())
            for worker in self._workers:
                worker.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
            self._workers.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _work(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self.process(event)
            except Exception:
                log.exception("pipeline worker: unexpected error (%s)", _describe(event))
            finally:
                self._queue.task_done()

    # --- one event ----------------------------------------------------------------------------

    async def process(self, event: Event) -> None:
        """Run every pipeline of ``event`` now; errors are logged and counted, not raised."""
        event = redact_entity(event)
        ctx = self._context(event)
        refs = pipeline_refs(event)
        if not refs:
            ctx.log.info("no pipelines defined in resource")
            return
        for ref in refs:
            try:
                await self._run_workflows(await self._resolve(ref, event, ctx), event, ctx)
            except UnsupportedPipeline as exc:
                ctx.log.error("%s, skipping execution of pipeline", exc)
                return
            except MisconfiguredPipeline as exc:
                quiet = logging.DEBUG if _check_name(event) == "keepalive" else logging.INFO
                ctx.log.log(quiet, "%s, skipping execution of pipeline", exc)
            except PipelineError as exc:
                ctx.log.error("%s, skipping execution of pipeline %s", exc, ref.name)

    def _context(self, event: Event) -> RunContext:
        describe = _describe(event)
        extra = {"event_context": describe, "event_id": str(event.get("id", ""))}
        return RunContext(
            namespace=event_namespace(event),
            lookup=self._lookup,
            js_timeout=self._settings.js_timeout,
            offload=self._offload,
            log=_EventLog(log, extra),
            commands=self._commands,
        )

    def _offload(self, func: Callable[[], T]) -> Awaitable[T]:
        return asyncio.get_running_loop().run_in_executor(self._executor, func)

    # --- references -> workflows --------------------------------------------------------------

    async def _resolve(self, ref: Ref, event: Event, ctx: RunContext) -> list[Workflow]:
        if ref.is_core("LegacyPipeline"):
            return await self._legacy_workflows(event, ctx)
        if not ref.is_core("Pipeline"):
            raise UnsupportedPipeline(f"no pipeline adapter supports {ref}")
        pipeline = await ctx.fetch(Pipeline.PLURAL, ref.name)
        if pipeline is None:
            raise PipelineError(f"pipeline {ref.name!r} does not exist")
        workflows = [
            _workflow(raw) for raw in pipeline.get("workflows") or [] if isinstance(raw, Mapping)
        ]
        if not workflows:
            raise MisconfiguredPipeline(f"pipeline {ref.name!r} has no workflows")
        return workflows

    async def _legacy_workflows(self, event: Event, ctx: RunContext) -> list[Workflow]:
        names = handler_names(event)
        found: dict[str, dict[str, Any]] = {}
        await self._expand(names, 1, (), found, ctx)
        if not found:
            raise MisconfiguredPipeline(
                f"legacy pipeline found no existing handlers: none of {names} exist"
            )
        return [_legacy_workflow(name, handler) for name, handler in sorted(found.items())]

    async def _expand(
        self,
        names: Iterable[str],
        level: int,
        path: tuple[str, ...],
        found: dict[str, dict[str, Any]],
        ctx: RunContext,
    ) -> None:
        for name in names:
            handler = await ctx.fetch(Handler.PLURAL, name)
            if handler is None:
                if path:
                    ctx.log.error(
                        "set handler specified a handler that does not exist: set=%s handler=%s",
                        path[-1],
                        name,
                    )
                else:
                    ctx.log.info("handler does not exist, will be ignored: handler=%s", name)
                continue
            if handler.get("type") != "set":
                found.setdefault(name, handler)
            elif name in path:  # a loop: expanding it again cannot add anything
                ctx.log.error("handler set loop: %s", " -> ".join((*path, name)))
            elif level >= MAX_SET_DEPTH:
                ctx.log.error("handler sets cannot be deeply nested: set=%s", name)
            else:
                members = [str(m) for m in handler.get("handlers") or []]
                await self._expand(members, level + 1, (*path, name), found, ctx)

    # --- running ------------------------------------------------------------------------------

    async def _run_workflows(
        self, workflows: Sequence[Workflow], event: Event, ctx: RunContext
    ) -> None:
        for workflow in workflows:
            if not await self._passes(workflow, event, ctx):
                continue
            payload = await self._mutate(workflow, event, ctx)
            await self._handle(workflow, event, payload, ctx)

    async def _passes(self, workflow: Workflow, event: Event, ctx: RunContext) -> bool:
        for ref in workflow.filters:
            adapter = self._registry.filter_for(ref)
            try:
                if adapter is None:
                    raise FilterError(f"no filter adapter supports {ref}")
                if not await adapter.run(ref, event, ctx):
                    ctx.log.debug("event filtered: workflow=%s filter=%s", workflow.name, ref.name)
                    return False
            except Exception as exc:
                self._metrics.filter_error()
                self._count_script_failure(exc)
                if isinstance(exc, FilterError):
                    raise
                raise FilterError(f"filter {ref.name!r} failed: {exc!r}") from exc
        return True

    async def _mutate(self, workflow: Workflow, event: Event, ctx: RunContext) -> bytes:
        ref = workflow.mutator or mutators.DEFAULT_MUTATOR
        adapter = self._registry.mutator_for(ref)
        try:
            if adapter is None:
                raise MutatorError(f"no mutator adapter supports {ref}")
            return await adapter.run(ref, event, ctx)
        except Exception as exc:
            self._count_script_failure(exc)
            # The handler never runs: count it as a failed handler request.
            resource = workflow.handler.resource or {}
            self._metrics.handler_result(str(resource.get("type") or "unknown"), False)
            if isinstance(exc, MutatorError):
                raise
            raise MutatorError(f"mutator {ref.name!r} failed: {exc!r}") from exc

    def _count_script_failure(self, exc: BaseException) -> None:
        """A JavaScript evaluation that failed (it failed alone: the next one is unaffected)."""
        cause = exc.__cause__
        if isinstance(cause, js.ScriptError):
            reason = (
                "timeout"
                if isinstance(cause, js.ScriptTimeout)
                else "memory"
                if isinstance(cause, js.ScriptMemoryExceeded)
                else "error"
            )
            self._metrics.script_failure(reason)

    async def _handle(
        self, workflow: Workflow, event: Event, payload: bytes, ctx: RunContext
    ) -> None:
        ref = workflow.handler
        adapter = self._registry.handler_for(ref)
        try:
            if adapter is None:
                raise HandlerError(f"no handler adapter supports {ref}")
            result = await adapter.run(ref, event, payload, ctx)
        except HandlerError as exc:
            self._metrics.handler_result(exc.handler_type, False)
            raise
        except Exception as exc:
            self._metrics.handler_result("unknown", False)
            raise HandlerError(f"handler {ref.name!r} failed: {exc!r}") from exc
        self._metrics.handler_result(result.handler_type, result.ok)


# --- event helpers ----------------------------------------------------------------------------


def handler_names(event: Mapping[str, Any]) -> list[str]:
    """``check.handlers`` then ``metrics.handlers``."""
    names: list[str] = []
    for part in ("check", "metrics"):
        section = event.get(part)
        if isinstance(section, Mapping):
            names.extend(str(n) for n in section.get("handlers") or [])
    return names


def has_pipelines(event: Mapping[str, Any]) -> bool:
    """Cheaply: whether ``pipeline_refs`` would return anything."""
    return bool(event.get("pipelines")) or bool(handler_names(event))


def pipeline_refs(event: Mapping[str, Any]) -> list[Ref]:
    """The event's ``pipelines``, plus the legacy pipeline when handlers are named.

    As in Sensu, ``check.pipelines`` is not read here: agents copy it into ``pipelines``.
    """
    refs = [Ref.from_dict(raw) for raw in event.get("pipelines") or [] if isinstance(raw, Mapping)]
    if handler_names(event):
        refs.append(LEGACY_PIPELINE)
    return refs


def event_namespace(event: Mapping[str, Any]) -> str:
    for part in (event, event.get("entity"), event.get("check")):
        if isinstance(part, Mapping):
            meta = part.get("metadata")
            if isinstance(meta, Mapping) and meta.get("namespace"):
                return str(meta["namespace"])
    return "default"


def redact_entity(event: Event) -> Event:
    """A copy whose entity labels/annotations named in ``entity.redact`` (or Sensu's default
    list) read ``REDACTED``; filters, mutators and handlers only ever see this copy."""
    entity = event.get("entity")
    meta = entity.get("metadata") if isinstance(entity, Mapping) else None
    if not isinstance(entity, Mapping) or not isinstance(meta, Mapping):
        return event
    redact = tuple(entity.get("redact") or DEFAULT_REDACT)
    new_meta = dict(meta)
    for field in ("labels", "annotations"):
        values = meta.get(field)
        if isinstance(values, Mapping):
            new_meta[field] = redact_map(values, redact)
    return {**event, "entity": {**entity, "metadata": new_meta}}


def _workflow(raw: Mapping[str, Any]) -> Workflow:
    mutator = raw.get("mutator")
    handler = raw.get("handler")
    return Workflow(
        name=str(raw.get("name", "")),
        filters=tuple(
            Ref.from_dict(f, "EventFilter")
            for f in raw.get("filters") or []
            if isinstance(f, Mapping)
        ),
        mutator=Ref.from_dict(mutator, "Mutator") if isinstance(mutator, Mapping) else None,
        handler=Ref.from_dict(handler if isinstance(handler, Mapping) else {}, "Handler"),
    )


def _legacy_workflow(name: str, handler: Mapping[str, Any]) -> Workflow:
    mutator = str(handler.get("mutator") or "")
    return Workflow(
        name=f"legacy-pipeline-workflow-{name}",
        filters=tuple(Ref(name=str(f), type="EventFilter") for f in handler.get("filters") or []),
        mutator=Ref(name=mutator, type="Mutator") if mutator else None,
        handler=Ref(name=name, type="Handler", resource=handler),
    )


def _check_name(event: Mapping[str, Any]) -> str:
    check = event.get("check")
    meta = check.get("metadata") if isinstance(check, Mapping) else None
    return str(meta.get("name", "")) if isinstance(meta, Mapping) else ""


def _entity_name(event: Mapping[str, Any]) -> str:
    entity = event.get("entity")
    meta = entity.get("metadata") if isinstance(entity, Mapping) else None
    return str(meta.get("name", "")) if isinstance(meta, Mapping) else ""


def _describe(event: Mapping[str, Any]) -> str:
    return (
        f"namespace={event_namespace(event)} entity={_entity_name(event)} "
        f"check={_check_name(event)} event_id={event.get('id', '')}"
    )
