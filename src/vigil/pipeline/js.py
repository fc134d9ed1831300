"""Sandboxed JavaScript for event filters and mutators; the only module that imports the engine.

The engine is V8 through mini-racer, and **every evaluation gets an isolate of its own**, created
for it and destroyed after it. Nothing a script does (globals, ``RegExp.input``, a reassigned
``globalThis``, promise jobs left queued) can survive into the next evaluation or reach another
namespace's, by construction rather than by cleaning up. Bare V8 has no I/O at all; on top of
that each evaluation gets:

- a wall-clock time limit: V8 is terminated when the run is over it (``ScriptTimeout``);
- a memory limit (``MEMORY_LIMIT``; ``ScriptMemoryExceeded``). V8's heap limit does not count
  ``ArrayBuffer`` backing stores, so buffers, typed arrays, ``DataView``, shared memory,
  ``Atomics`` and WebAssembly are removed (Sensu's ES5 engine has none of them either);
- promise jobs run only inside the evaluation's own time limit; what is still queued when it
  returns is destroyed with the isolate;
- no timers, no finalizers.

Why this and not the alternatives: RELIABILITY.md has the measured cost per evaluation (a fresh
isolate costs a few milliseconds; a reused one leaked state between namespaces). QuickJS (the
``quickjs`` package) is cheaper per runtime and counts buffers, but its time limit is the
*process's* CPU clock, so other threads' work ends evaluations early.

Threads: every call blocks its thread (callers use a worker thread, never the event loop);
``Sandbox`` bounds how many isolates exist at once. Syntax checks compile only (``new
Function``), in their own isolate too.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import uuid
from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Any

import orjson
from py_mini_racer import (
    JSEvalException,
    JSOOMException,
    JSTimeoutException,
    init_mini_racer,
    mini_racer,
)

log = logging.getLogger("vigil.pipeline.js")

MEMORY_LIMIT = 64 * 1024 * 1024  # bytes per evaluation
DEFAULT_POOL_SIZE = 4  # isolates at once; each lives for one evaluation
PARSE_TIMEOUT = 2.0  # seconds for the syntax check of one resource's expressions

_LOCATION = re.compile(r"\A[^:\s]*:\d+:\s*")
_IDENTIFIER = re.compile(r"\A[A-Za-z_$][A-Za-z0-9_$]*\Z")

# Runs first in every isolate: removes what is unbounded or outside the heap, defines the
# helpers Sensu gives filter expressions and the entry points.
_PRELUDE = r"""
(function (global) {
  "use strict";
  for (const name of ["setTimeout", "clearTimeout", "setInterval", "clearInterval",
                      "__timer_manager", "Atomics", "SharedArrayBuffer", "WebAssembly",
                      "FinalizationRegistry", "WeakRef", "ArrayBuffer", "DataView",
                      "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array",
                      "Uint16Array", "Int32Array", "Uint32Array", "Float16Array",
                      "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"]) {
    try { delete global[name]; } catch (_) { global[name] = undefined; }
  }
  const stringify = JSON.stringify;
  const apply = Reflect.apply;
  const makeFunction = Function;
  const utc = function (t) { return new Date(Number(t) * 1000); };
  const helpers = {
    seconds_since: function (t) { return arguments.length ? Date.now() / 1000 - Number(t) : 0; },
    second: function (t) { return arguments.length ? utc(t).getUTCSeconds() : 0; },
    minute: function (t) { return arguments.length ? utc(t).getUTCMinutes() : 0; },
    hour: function (t) { return arguments.length ? utc(t).getUTCHours() : 0; },
    weekday: function (t) { return arguments.length ? utc(t).getUTCDay() : 0; },
  };
  // Sloppy on purpose (Sensu's expressions are ES5 scripts); a direct eval sees `event`.
  const evaluate = makeFunction("event", "__source", "return eval(__source);");
  const describe = function (e) { try { return String(e); } catch (_) { return "error"; } };
  const entry = {
    filter: function (event, expressions) {
      const out = [];
      for (let i = 0; i < expressions.length; i++) {
        try { out.push(!!evaluate(event, expressions[i])); } catch (e) { out.push(describe(e)); }
      }
      return stringify(out);
    },
    mutate: function (event, names, values, body) {
      const fn = apply(makeFunction, undefined, ["event"].concat(names, [body]));
      const result = apply(fn, undefined, [event].concat(values));
      if (result === undefined || result === null) { return "E" + stringify(event); }
      if (typeof result === "string") { return "S" + result; }
      throw new TypeError("bad mutator result");
    },
    parse: function (sources) {
      for (let i = 0; i < sources.length; i++) {
        try { makeFunction(sources[i]); }
        catch (e) { return stringify([i, describe(e) || "SyntaxError"]); }
      }
      return "null";
    },
  };
  for (const name of Object.keys(helpers)) { global[name] = helpers[name]; }
  Object.defineProperty(global, "__vigil", { value: Object.freeze(entry) });
})(globalThis);
0
"""


class ScriptError(Exception):
    """The script threw, returned something unusable, or could not run."""


class ScriptTimeout(ScriptError):
    """The script (or a job it queued) ran over its time limit and was stopped."""


class ScriptMemoryExceeded(ScriptError):
    """The script went over its memory limit and was stopped."""


class SandboxClosed(ScriptError):
    """The sandbox was closed (the server is stopping)."""


class _MessageLoop:
    """The asyncio loop, on a thread of its own, that every isolate of one sandbox reports to.

    Isolates must not bind to the server's loop (they would run JS on it), and the loop has to
    outlive them: closing an isolate that was stuck still delivers replies for queued work.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="vigil-js-loop", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        self.loop.close()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()


# V8 loaded on any thread but the main one crashes (a race on its process-wide dispatch
# table, seen with mini-racer 0.14.1 on Intel Xeon hosts) once isolates then run at the same
# time. So evaluations run side by side only after ``start_engine`` loaded it on the main
# thread; otherwise (the agent, a server run in a thread by tests) one at a time.
_engine_lock = threading.Lock()
# Isolates are also set up and torn down one at a time (their runs overlap): two set up at
# once tripped a V8 check (``!IsConfigurablePoolInitialized()``) about once in 60 processes.
_lifecycle = threading.Lock()
_one_at_a_time = threading.Lock()
_engine_loaded = False
_side_by_side = False


def start_engine() -> None:
    """Load the engine now (~45 ms, ~40 MB), so evaluations may run side by side; a no-op off
    the main thread or once an evaluation has loaded the engine. ``vigil start`` calls it."""
    global _engine_loaded, _side_by_side
    if threading.current_thread() is not threading.main_thread():
        return
    with _engine_lock:
        if not _engine_loaded:
            init_mini_racer(ignore_duplicate_init=True)
            with mini_racer() as racer:  # the first isolate sets up what all of them share
                racer.eval("0")
            _engine_loaded = _side_by_side = True


def _evaluate(loop: asyncio.AbstractEventLoop, code: str, timeout: float, limit: int) -> str:
    global _engine_loaded
    if not _engine_loaded:
        start_engine()  # on the main thread: loaded there, so side by side from now on
    if _side_by_side:
        return _evaluate_once(loop, code, timeout, limit)
    with _one_at_a_time:
        with _engine_lock:
            _engine_loaded = True
        return _evaluate_once(loop, code, timeout, limit)


def _evaluate_once(loop: asyncio.AbstractEventLoop, code: str, timeout: float, limit: int) -> str:
    """``code`` in a new isolate, which is destroyed afterwards whatever happened."""
    with _lifecycle:
        owner = mini_racer(loop)
        racer = owner.__enter__()
    try:
        racer.eval(_PRELUDE)
        racer.set_hard_memory_limit(limit)
        result = racer.eval(code, timeout_sec=timeout)
    except JSTimeoutException:
        raise ScriptTimeout(f"execution halted after {timeout:g}s") from None
    except JSOOMException:
        raise ScriptMemoryExceeded("memory limit reached, execution halted") from None
    except JSEvalException as exc:
        raise ScriptError(_first_line(str(exc))) from None
    finally:
        with _lifecycle:
            owner.__exit__(None, None, None)
    if not isinstance(result, str):
        raise ScriptError(f"unexpected result from the engine: {type(result).__name__}")
    return result


def _first_line(message: str) -> str:
    # The engine reports "<anonymous>:LINE: Kind: text" followed by source and a stack.
    first = message.strip().split("\n", 1)[0]
    return _LOCATION.sub("", first).strip() or "javascript error"


class Sandbox:
    """At most ``size`` evaluations (isolates) at once; safe to share between threads."""

    def __init__(self, size: int = DEFAULT_POOL_SIZE, memory_limit: int = MEMORY_LIMIT) -> None:
        self.size = max(1, size)
        self._memory_limit = memory_limit
        self._slots = threading.BoundedSemaphore(self.size)
        self._running = 0
        self._cond = threading.Condition()
        self._closed = False
        self._messages = _MessageLoop()

    def run(self, code: str, timeout: float) -> str:
        with self._slots:
            with self._cond:
                if self._closed:
                    raise SandboxClosed("the javascript sandbox is closed")
                self._running += 1
            try:
                return _evaluate(self._messages.loop, code, timeout, self._memory_limit)
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()

    def first_syntax_error(self, sources: Sequence[str]) -> tuple[int, str] | None:
        """The index and message of the first source that does not compile, else None."""
        try:
            found = orjson.loads(self.run(f"__vigil.parse({_js(list(sources))})", PARSE_TIMEOUT))
        except ScriptTimeout:
            return 0, "too large to check in time"
        except SandboxClosed:
            raise
        except ScriptError as exc:
            return 0, str(exc)
        return None if found is None else (int(found[0]), str(found[1]))

    def syntax_error(self, source: str) -> str | None:
        found = self.first_syntax_error([source])
        return None if found is None else found[1]

    def close(self, wait: float = 5.0) -> None:
        """Refuse new work. Runs in progress (each bounded by its time limit) get up to
        ``wait`` seconds to finish; if they have not, the message loop is left running so
        they cannot hang, and dies with the process."""
        with self._cond:
            self._closed = True
            finished = self._cond.wait_for(lambda: self._running == 0, wait)
        if finished:
            self._messages.stop()


_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The process-wide pool, created on first use (importing this module starts nothing)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox()
        return _default


def close() -> None:
    """Release the process-wide pool's engines (on shutdown)."""
    global _default
    with _default_lock:
        sandbox, _default = _default, None
    if sandbox is not None:
        sandbox.close()


def _js(value: Any) -> str:
    # JSON is a subset of JavaScript (ES2019), so this is a safe literal.
    return orjson.dumps(value).decode()


# --- the public surface -------------------------------------------------------------------


def syntax_error(expression: str) -> str | None:
    """None when ``expression`` parses as JavaScript, else a short message. Never runs it."""
    return default_sandbox().syntax_error(expression)


def first_syntax_error(expressions: Sequence[str]) -> tuple[int, str] | None:
    """Index and message of the first expression that does not parse (one isolate for all)."""
    return default_sandbox().first_syntax_error(expressions)


def evaluate_expressions(
    expressions: Sequence[str], event: Mapping[str, Any], *, timeout: float
) -> list[bool | None]:
    """Each expression's truthiness against Sensu's filter environment; None where it threw.

    Raises ScriptTimeout / ScriptMemoryExceeded when the whole evaluation is stopped.
    """
    environment = filter_environment(event)
    code = f"__vigil.filter({_js(environment)}, {_js(list(expressions))})"
    outcome = orjson.loads(default_sandbox().run(code, timeout))
    results: list[bool | None] = []
    for expression, value in zip(expressions, outcome, strict=True):
        if isinstance(value, bool):
            results.append(value)
        else:
            log.warning("error evaluating javascript event filter %r: %s", expression, value)
            results.append(None)
    return results


def match_entity(expressions: Sequence[str], entity: Mapping[str, Any], *, timeout: float) -> bool:
    """Sensu's proxy-request matching: every expression, with ``entity`` bound to the
    synthesized entity, is truthy. An expression that throws, and an empty list, match nothing.
    """
    if not expressions:
        return False
    wrapped = [f"(function (entity) {{ return eval({_js(e)}); }})(event)" for e in expressions]
    code = f"__vigil.filter({_js(entity)}, {_js(wrapped)})"
    outcome = orjson.loads(default_sandbox().run(code, timeout))
    return all(value is True for value in outcome)


def run_mutator(
    eval_source: str,
    event: Mapping[str, Any],
    *,
    timeout: float,
    env_vars: Sequence[str] = (),
) -> bytes:
    """Run a JavaScript mutator body with ``event`` bound; return the mutated payload.

    ``env_vars`` entries ``K=V`` bind ``K`` to ``V``; a bare ``K`` is bound to "" (the
    server's own environment is never visible to scripts).
    Returning nothing yields the (possibly modified) event as JSON; a string yields its bytes.
    """
    names, values = _bindings(env_vars)
    code = f"__vigil.mutate({_js(event)}, {_js(names)}, {_js(values)}, {_js(eval_source)})"
    result = default_sandbox().run(code, timeout)
    return result[1:].encode()


def _bindings(env_vars: Sequence[str]) -> tuple[list[str], list[str]]:
    bound: dict[str, str] = {}
    for entry in env_vars:
        name, _, value = entry.partition("=")
        if not _IDENTIFIER.match(name) or name == "event":
            log.warning("javascript mutator: env var %r is not a usable name, skipped", name)
            continue
        bound[name] = value
    return list(bound), list(bound.values())


# --- the event as filter expressions see it ----------------------------------------------


def event_extras(event: Mapping[str, Any]) -> dict[str, bool]:
    """The booleans Sensu adds to the event for filters (``event.is_incident``, ...)."""
    raw_check = event.get("check")
    check: Mapping[str, Any] = raw_check if isinstance(raw_check, Mapping) else {}
    has_check = isinstance(raw_check, Mapping)
    history = check.get("history")
    previous = history[-2] if isinstance(history, list) and len(history) >= 2 else None
    was_failing = isinstance(previous, Mapping) and bool(previous.get("status"))
    was_flapping = isinstance(previous, Mapping) and bool(previous.get("flapping", False))
    flapping_now = check.get("state") == "flapping"
    incident = has_check and bool(check.get("status", 0))
    return {
        "has_check": has_check,
        "has_metrics": isinstance(event.get("metrics"), Mapping),
        "is_incident": incident,
        "is_resolution": was_failing and not incident,
        "is_silenced": bool(check.get("silenced")),
        "is_flapping_start": previous is not None and not was_flapping and flapping_now,
        "is_flapping_end": was_flapping and not flapping_now,
    }


def filter_environment(event: Mapping[str, Any]) -> dict[str, Any]:
    """The ``event`` object of filter expressions: metadata lifted, extras added, id as bytes."""
    env = _lift_metadata(event)
    for part in ("check", "entity"):
        if isinstance(event.get(part), Mapping):
            env[part] = _lift_metadata(event[part])
    env.update(event_extras(event))
    if isinstance(env.get("id"), str):
        with suppress(ValueError):
            env["id"] = list(uuid.UUID(env["id"]).bytes)
    return env


def _lift_metadata(obj: Mapping[str, Any]) -> dict[str, Any]:
    lifted = {key: value for key, value in obj.items() if key != "metadata"}
    meta = obj.get("metadata")
    if isinstance(meta, Mapping):
        lifted.update(meta)
    lifted["labels"] = dict(lifted.get("labels") or {})
    lifted["annotations"] = dict(lifted.get("annotations") or {})
    return lifted
