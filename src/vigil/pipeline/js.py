"""Sandboxed JavaScript for event filters and mutators; the only module that imports the engine.

The engine is V8 through mini-racer. Bare V8 has no I/O at all; on top of that every run gets:

- a time limit: the evaluation is terminated when it runs over (``ScriptTimeout``);
- a memory limit per isolate (``MEMORY_LIMIT``; ``ScriptMemoryExceeded``);
- a *settle probe*: promise reactions run after a script returns, so a script could leave an
  endless job behind. Each run is followed by a trivial evaluation under the same deadline; if
  that cannot get through, the job is charged to the run that queued it;
- isolation between runs: the built-in objects and globals are frozen, timers, shared memory,
  WebAssembly and finalizers are removed, and globals a script creates are deleted afterwards.
  An engine that timed out, ran out of memory or could not be cleaned is thrown away.

Threads and cost: a MiniRacer instance costs a V8 isolate plus its own message-loop thread
(a few ms to create, the first one ~0.1 s to load the library), and one isolate runs one script
at a time. So engines are pooled: ``Sandbox`` lends each engine to one thread at a time and
creates at most ``size`` of them. Callers block (they run in a worker thread, never on the event
loop). Syntax checks, which run on the API's request path, get their own engine behind a lock:
they only parse, so they never wait behind a slow filter.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import orjson
from py_mini_racer import JSEvalException, JSOOMException, JSTimeoutException, mini_racer

log = logging.getLogger("vigil.pipeline.js")

MEMORY_LIMIT = 64 * 1024 * 1024  # bytes per isolate
DEFAULT_POOL_SIZE = max(2, min(4, os.cpu_count() or 2))
PARSE_TIMEOUT = 1.0  # seconds; parsing a request-sized expression takes well under that
_SETTLE_GRACE = 0.05  # the probe gets at least this long, even when the run used its budget

_LOCATION = re.compile(r"\A[^:\s]*:\d+:\s*")
_IDENTIFIER = re.compile(r"\A[A-Za-z_$][A-Za-z0-9_$]*\Z")

# Runs once per engine, before anything else. Defines the helpers Sensu gives filter
# expressions, the two entry points, then locks the global environment down.
_PRELUDE = r"""
(function (global) {
  "use strict";
  for (const name of ["setTimeout", "clearTimeout", "__timer_manager", "Atomics",
                      "SharedArrayBuffer", "WebAssembly", "FinalizationRegistry", "WeakRef"]) {
    try { delete global[name]; } catch (_) { global[name] = undefined; }
  }
  const stringify = JSON.stringify;
  const ownKeys = Reflect.ownKeys;
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
  let baseline = null;
  const sweep = function () {
    let clean = true;
    for (const key of ownKeys(global)) {
      if (!baseline.has(key) && !delete global[key]) { clean = false; }
    }
    return clean;
  };
  const entry = {
    filter: function (event, expressions) {
      const out = [];
      let clean;
      try {
        for (let i = 0; i < expressions.length; i++) {
          try { out.push(!!evaluate(event, expressions[i])); } catch (e) { out.push(describe(e)); }
        }
      } finally { clean = sweep(); }
      return (clean ? "0" : "1") + stringify(out);
    },
    mutate: function (event, names, values, body) {
      let result, clean;
      try {
        const fn = apply(makeFunction, undefined, ["event"].concat(names, [body]));
        result = apply(fn, undefined, [event].concat(values));
      } finally { clean = sweep(); }
      const flag = clean ? "0" : "1";
      if (result === undefined || result === null) { return flag + "E" + stringify(event); }
      if (typeof result === "string") { return flag + "S" + result; }
      throw new TypeError("bad mutator result");
    },
    parse: function (source) {
      try { makeFunction(source); return "0"; }
      catch (e) { return "0" + (describe(e) || "SyntaxError"); }
    },
  };
  for (const name of ownKeys(helpers)) { global[name] = helpers[name]; }
  global.__vigil = Object.freeze(entry);
  const seen = new Set();
  const freeze = function (value) {
    if ((typeof value !== "object" && typeof value !== "function") || value === null) { return; }
    if (seen.has(value)) { return; }
    seen.add(value);
    Object.freeze(value);
    for (const key of ownKeys(value)) {
      const desc = Object.getOwnPropertyDescriptor(value, key);
      if (desc && "value" in desc) { freeze(desc.value); }
    }
    freeze(Object.getPrototypeOf(value));
  };
  for (const key of ownKeys(global)) {
    if (key === "globalThis") { continue; }
    const desc = Object.getOwnPropertyDescriptor(global, key);
    if (desc && "value" in desc) {
      freeze(desc.value);
      Object.defineProperty(global, key, { writable: false, configurable: false });
    }
  }
  freeze(Object.getPrototypeOf(function* () {}));
  freeze(Object.getPrototypeOf(async function () {}));
  freeze(Object.getPrototypeOf([][Symbol.iterator]()));
  baseline = new Set(ownKeys(global));
})(globalThis);
0
"""


class ScriptError(Exception):
    """The script threw, returned something unusable, or could not run."""


class ScriptTimeout(ScriptError):
    """The script (or a job it queued) ran over its time limit and was stopped."""


class ScriptMemoryExceeded(ScriptError):
    """The script went over the isolate's memory limit and was stopped."""


class _MessageLoop:
    """The asyncio loop, on a thread of its own, that every engine of one sandbox reports to.

    Engines must not bind to the server's loop (they would run JS on it), and the loop has to
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


class _Engine:
    """One isolate. Used by one thread at a time (the pool guarantees it)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, memory_limit: int) -> None:
        self._owner = mini_racer(loop)
        self._racer = self._owner.__enter__()
        self.broken = False
        self._racer.eval(_PRELUDE)
        self._racer.set_hard_memory_limit(memory_limit)

    def run(self, code: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        try:
            result = self._racer.eval(code, timeout_sec=timeout)
        except JSEvalException as exc:
            error = self._translate(exc, timeout)
            if not self.broken:
                self._settle(deadline)
            raise error from None
        self._settle(deadline)
        if not isinstance(result, str) or not result:
            raise ScriptError(f"unexpected result from the engine: {type(result).__name__}")
        if result[0] == "1":  # a global the sweep could not delete: do not reuse this isolate
            self.broken = True
        return result[1:]

    def _translate(self, exc: JSEvalException, timeout: float) -> ScriptError:
        if isinstance(exc, JSTimeoutException):
            self.broken = True
            return ScriptTimeout(f"execution halted after {timeout:g}s")
        if isinstance(exc, JSOOMException):
            self.broken = True
            return ScriptMemoryExceeded("memory limit reached, execution halted")
        return ScriptError(_first_line(str(exc)))

    def _settle(self, deadline: float) -> None:
        try:
            self._racer.eval("0", timeout_sec=max(deadline - time.monotonic(), _SETTLE_GRACE))
        except JSEvalException:
            self.broken = True
            raise ScriptTimeout("a job queued by the script did not finish in time") from None

    def close(self) -> None:
        self._owner.__exit__(None, None, None)


def _first_line(message: str) -> str:
    # The engine reports "<anonymous>:LINE: Kind: text" followed by source and a stack.
    first = message.strip().split("\n", 1)[0]
    return _LOCATION.sub("", first).strip() or "javascript error"


class Sandbox:
    """A bounded pool of engines; safe to share between threads."""

    def __init__(self, size: int = DEFAULT_POOL_SIZE, memory_limit: int = MEMORY_LIMIT) -> None:
        self.size = max(1, size)
        self._memory_limit = memory_limit
        self._idle: list[_Engine] = []
        self._count = 0
        self._cond = threading.Condition()
        self._closed = False
        self._parser: _Engine | None = None
        self._parser_lock = threading.Lock()
        self._messages = _MessageLoop()

    @contextmanager
    def _engine(self) -> Iterator[_Engine]:
        engine: _Engine | None = None
        with self._cond:
            while not self._closed and not self._idle and self._count >= self.size:
                self._cond.wait()
            if self._closed:
                raise ScriptError("the javascript sandbox is closed")
            if self._idle:
                engine = self._idle.pop()
            else:
                self._count += 1
        if engine is None:
            try:
                engine = _Engine(self._messages.loop, self._memory_limit)
            except BaseException:
                self._release(None)
                raise
        try:
            yield engine
        finally:
            self._release(engine)

    def _release(self, engine: _Engine | None) -> None:
        with self._cond:
            if engine is not None and not engine.broken and not self._closed:
                self._idle.append(engine)
                self._cond.notify_all()
                return
        if engine is not None:
            engine.close()  # before the count drops, so close() never stops the loop under it
        with self._cond:
            self._count -= 1
            self._cond.notify_all()

    def run(self, code: str, timeout: float) -> str:
        with self._engine() as engine:
            return engine.run(code, timeout)

    def syntax_error(self, source: str) -> str | None:
        with self._parser_lock:
            if self._closed:
                raise ScriptError("the javascript sandbox is closed")
            if self._parser is None or self._parser.broken:
                self._parser = _Engine(self._messages.loop, self._memory_limit)
            try:
                message = self._parser.run(f"__vigil.parse({_js(source)})", PARSE_TIMEOUT)
            except ScriptError as exc:
                return str(exc)
        return message or None

    def close(self, wait: float = 5.0) -> None:
        """Close every engine. Runs in progress (each bounded by its time limit) get up to
        ``wait`` seconds to finish; if they have not, the message loop is left running so
        they cannot hang, and dies with the process."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._cond.notify_all()
        with self._parser_lock:
            parser, self._parser = self._parser, None
        for engine in [*idle, *([parser] if parser else [])]:
            engine.close()
        with self._cond:
            finished = self._cond.wait_for(lambda: self._count == 0, wait)
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


def evaluate_filter(
    expressions: Sequence[str], event: Mapping[str, Any], *, timeout: float
) -> bool:
    """True when no expression is falsy (Sensu's ``allow``: expressions that throw are skipped)."""
    results = evaluate_expressions(expressions, event, timeout=timeout)
    return all(result is not False for result in results)


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

    ``env_vars`` entries ``K=V`` bind ``K`` to ``V``; a bare ``K`` takes this process's value.
    Returning nothing yields the (possibly modified) event as JSON; a string yields its bytes.
    """
    names, values = _bindings(env_vars)
    code = f"__vigil.mutate({_js(event)}, {_js(names)}, {_js(values)}, {_js(eval_source)})"
    result = default_sandbox().run(code, timeout)
    return result[1:].encode()


def _bindings(env_vars: Sequence[str]) -> tuple[list[str], list[str]]:
    bound: dict[str, str] = {}
    for entry in env_vars:
        name, sep, value = entry.partition("=")
        if not _IDENTIFIER.match(name) or name == "event":
            log.warning("javascript mutator: env var %r is not a usable name, skipped", name)
            continue
        bound[name] = value if sep else os.environ.get(name, "")
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
