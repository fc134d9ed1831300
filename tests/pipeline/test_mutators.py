"""Mutators: json, only_check_output, pipe commands and JavaScript."""

from __future__ import annotations

import asyncio
import shlex
import sys
from typing import Any

import orjson
import pytest

from tests.pipeline.contexts import run_context
from vigil.pipeline import mutators
from vigil.pipeline.adapters import AdapterRegistry, MutatorError, Ref, RunContext

Doc = dict[str, Any]
PY = shlex.quote(sys.executable)


def event() -> Doc:
    return {
        "entity": {"metadata": {"name": "web1", "namespace": "default"}},
        "check": {
            "metadata": {"name": "disk", "namespace": "default"},
            "status": 1,
            "output": "low",
        },
    }


def context(stored: dict[str, Doc] | None = None) -> RunContext:
    return run_context("mutators", stored)


def mutate(name: str, doc: Doc, stored: dict[str, Doc] | None = None) -> bytes:
    registry = AdapterRegistry()
    mutators.register(registry)
    ref = Ref(name=name, type="Mutator")
    adapter = registry.mutator_for(ref)
    assert adapter is not None
    return asyncio.run(adapter.run(ref, doc, context(stored)))


def test_json_is_the_event() -> None:
    assert orjson.loads(mutate("json", event())) == event()
    assert mutators.DEFAULT_MUTATOR.name == "json"


def test_only_check_output() -> None:
    assert mutate("only_check_output", event()) == b"low"


def test_only_check_output_needs_a_check() -> None:
    with pytest.raises(MutatorError):
        mutate("only_check_output", {"entity": {}, "metrics": {}})


def test_pipe_mutator_reads_the_event_and_its_output_is_the_payload() -> None:
    script = (
        "import json, os, sys; e = json.load(sys.stdin); "
        "print(e['check']['output'].upper() + ':' + os.environ['SUFFIX'], end='')"
    )
    stored = {"up": {"command": f'{PY} -c "{script}"', "env_vars": ["SUFFIX=ok"], "timeout": 10}}
    assert mutate("up", event(), stored) == b"LOW:ok"


def test_pipe_mutator_output_includes_stderr() -> None:
    stored = {"both": {"type": "pipe", "command": "cat >/dev/null; printf out; printf err >&2"}}
    assert sorted(mutate("both", event(), stored).decode()) == sorted("outerr")


@pytest.mark.parametrize(
    ("mutator", "message"),
    [
        ({"command": "cat >/dev/null; exit 3"}, "non-zero exit status 3"),
        ({"command": "sleep 5", "timeout": 0.2}, "timed out"),
        ({"type": "lua", "command": "x"}, "unknown type"),
    ],
)
def test_pipe_mutator_failures(mutator: Doc, message: str) -> None:
    with pytest.raises(MutatorError, match=message):
        mutate("m", event(), {"m": mutator})


def test_missing_mutator() -> None:
    with pytest.raises(MutatorError, match='mutator "ghost" does not exist'):
        mutate("ghost", event())


def test_javascript_mutator() -> None:
    stored: dict[str, Doc] = {
        "js": {
            "type": "javascript",
            "eval": "event.check.output = TAG + event.check.output;",
            "env_vars": ["TAG=[vigil] "],
        },
        "text": {"type": "javascript", "eval": "return event.check.metadata.name + ' is bad'"},
    }
    assert orjson.loads(mutate("js", event(), stored))["check"]["output"] == "[vigil] low"
    assert mutate("text", event(), stored) == b"disk is bad"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("while (true) {}", "mutator timeout reached"),
        ("return 42", "bad mutator result"),
    ],
)
def test_javascript_mutator_failures(source: str, message: str) -> None:
    stored = {"js": {"type": "javascript", "eval": source, "timeout": 0.2}}
    with pytest.raises(MutatorError, match=message):
        mutate("js", event(), stored)
