"""Mutators turn an event into the bytes a handler receives.

Built-ins: ``json`` (the default: the event as JSON) and ``only_check_output``. Stored
``core/v2 Mutator`` resources are ``pipe`` (a command fed the event JSON on stdin; its output
is the payload) or ``javascript`` (a function body run in the sandbox).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import orjson

from vigil.model.pipeline import Mutator
from vigil.pipeline import js
from vigil.pipeline.adapters import AdapterRegistry, Event, MutatorError, Ref, RunContext
from vigil.pipeline.commands import run_command

MUTATOR = "Mutator"
DEFAULT_MUTATOR = Ref(name="json", type=MUTATOR)


def event_json(event: Event, ctx: RunContext) -> bytes:
    """The event as JSON, encoded once per event however many workflows ask."""
    cached = ctx.cache.get("event_json")
    if cached is None:
        cached = ctx.cache["event_json"] = orjson.dumps(event)
    assert isinstance(cached, bytes)
    return cached


class JsonMutator:
    def can_run(self, ref: Ref) -> bool:
        return ref.is_core(MUTATOR) and ref.name == "json"

    async def run(self, ref: Ref, event: Event, ctx: RunContext) -> bytes:
        return event_json(event, ctx)


class OnlyCheckOutputMutator:
    def can_run(self, ref: Ref) -> bool:
        return ref.is_core(MUTATOR) and ref.name == "only_check_output"

    async def run(self, ref: Ref, event: Event, ctx: RunContext) -> bytes:
        check = event.get("check")
        if not isinstance(check, Mapping):
            raise MutatorError("only_check_output: the event has no check")
        return str(check.get("output") or "").encode()


class StoredMutator:
    """A ``core/v2 Mutator`` from the store: ``type`` pipe (default) or javascript."""

    def can_run(self, ref: Ref) -> bool:
        return ref.is_core(MUTATOR)

    async def run(self, ref: Ref, event: Event, ctx: RunContext) -> bytes:
        mutator = ref.resource or await ctx.fetch(Mutator.PLURAL, ref.name)
        if mutator is None:
            raise MutatorError(f'mutator "{ref.name}" does not exist')
        kind = mutator.get("type") or "pipe"
        if kind == "pipe":
            return await _run_pipe(ref.name, mutator, event, ctx)
        if kind == "javascript":
            return await _run_javascript(ref.name, mutator, event, ctx)
        raise MutatorError(f"mutator {ref.name!r}: unknown type {kind!r}")


async def _run_pipe(name: str, mutator: Mapping[str, Any], event: Event, ctx: RunContext) -> bytes:
    try:
        result = await run_command(
            str(mutator.get("command") or ""),
            event_json(event, ctx),
            env_vars=mutator.get("env_vars") or (),
            timeout=float(mutator.get("timeout") or 0),
            policy=ctx.commands,
        )
    except OSError as exc:
        raise MutatorError(f"pipe mutator {name!r} could not start: {exc}") from exc
    if result.status != 0:
        raise MutatorError(
            f"pipe mutator {name!r} execution returned non-zero exit status {result.status}"
            + (" (timed out)" if result.timed_out else "")
        )
    return result.output


async def _run_javascript(
    name: str, mutator: Mapping[str, Any], event: Event, ctx: RunContext
) -> bytes:
    # The operator's js_timeout caps every script; a mutator may ask for less, not more.
    own = float(mutator.get("timeout") or 0)
    timeout = min(own, ctx.js_timeout) if own > 0 else ctx.js_timeout
    run = functools.partial(
        js.run_mutator,
        str(mutator.get("eval") or ""),
        event,
        timeout=timeout,
        env_vars=[str(v) for v in mutator.get("env_vars") or ()],
    )
    try:
        return await ctx.offload(run)
    except js.ScriptTimeout as exc:
        raise MutatorError(f"mutator {name!r}: mutator timeout reached, execution halted") from exc
    except js.ScriptError as exc:
        raise MutatorError(f"mutator {name!r}: {exc}") from exc


def register(registry: AdapterRegistry) -> None:
    registry.add_mutator(JsonMutator())
    registry.add_mutator(OnlyCheckOutputMutator())
    registry.add_mutator(StoredMutator())
