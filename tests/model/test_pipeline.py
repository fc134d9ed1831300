"""EventFilter, Mutator, Handler and Pipeline: rules, rendering and fields."""

from __future__ import annotations

from typing import Any

import pytest

from vigil.model.pipeline import EventFilter, Handler, Mutator, Pipeline

from .helpers import load, problem, rendered

META = {"name": "x", "namespace": "default"}


def build(cls: type[Any], base: dict[str, Any], changes: dict[str, Any]) -> Any:
    return load(cls, {"metadata": META, **base, **changes})


FILTER = {"action": "allow", "expressions": ["event.check.status == 2"]}
FILTER_CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("valid", {}, None),
    ("deny", {"action": "deny"}, None),
    (
        "bad_name",
        {"metadata": {"name": "a b", "namespace": "d"}},
        "filter name cannot contain spaces or special characters",
    ),
    ("no_action", {"action": ""}, "action '' is not valid"),
    ("bad_action", {"action": "maybe"}, "action 'maybe' is not valid"),
    ("no_expressions", {"expressions": []}, "filter must have one or more expressions"),
    ("no_namespace", {"metadata": {"name": "x"}}, "namespace must be set"),
    (
        "bad_when",
        {"when": {"days": {"all": [{"begin": "noon", "end": "1:00PM"}]}}},
        "time window begin 'noon' must use the 3:04PM time format",
    ),
]


@pytest.mark.parametrize(
    ("changes", "want"), [c[1:] for c in FILTER_CASES], ids=[c[0] for c in FILTER_CASES]
)
def test_filter_rules(changes: dict[str, Any], want: str | None) -> None:
    assert problem(build(EventFilter, FILTER, changes)) == want


def test_filter_expression_must_parse() -> None:
    reason = problem(build(EventFilter, FILTER, {"expressions": ["event.check.status ==("]}))
    assert reason is not None
    assert reason.startswith("syntax error in expression 'event.check.status ==(':")


def test_filter_rendering_and_fields() -> None:
    flt = build(
        EventFilter, FILTER, {"runtime_assets": ["js"], "metadata": {**META, "labels": {"k": "v"}}}
    )
    assert rendered(build(EventFilter, {}, {})) == {
        "metadata": META,
        "expressions": None,
        "runtime_assets": None,
    }
    assert flt.fields() == {
        "filter.name": "x",
        "filter.namespace": "default",
        "filter.action": "allow",
        "filter.runtime_assets": "js",
        "filter.labels.k": "v",
    }


MUTATOR_CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("command", {"command": "jq ."}, None),
    ("javascript", {"type": "javascript", "eval": "return data"}, None),
    ("pipe_type", {"type": "pipe", "command": "x"}, None),
    (
        "bad_name",
        {"metadata": {"name": "", "namespace": "d"}, "command": "x"},
        "mutator name must not be empty",
    ),
    ("nothing_to_run", {}, "mutator must have a command or an eval"),
    (
        "javascript_with_command",
        {"type": "javascript", "command": "x", "eval": "y"},
        "javascript mutators cannot have a command",
    ),
    (
        "unknown_type",
        {"type": "lua", "command": "x"},
        "mutator type 'lua' is not valid: use pipe or javascript",
    ),
    ("no_namespace", {"metadata": {"name": "x"}, "command": "x"}, "namespace must be set"),
]


@pytest.mark.parametrize(
    ("changes", "want"), [c[1:] for c in MUTATOR_CASES], ids=[c[0] for c in MUTATOR_CASES]
)
def test_mutator_rules(changes: dict[str, Any], want: str | None) -> None:
    assert problem(build(Mutator, {}, changes)) == want


def test_mutator_rendering_and_fields() -> None:
    mutator = build(Mutator, {"command": "jq", "runtime_assets": ["a", "b"]}, {})
    assert rendered(mutator) == {
        "metadata": META,
        "command": "jq",
        "timeout": 0,
        "env_vars": None,
        "runtime_assets": ["a", "b"],
        "secrets": None,
    }
    assert mutator.fields() == {
        "mutator.name": "x",
        "mutator.namespace": "default",
        "mutator.runtime_assets": "a,b",
    }


HANDLER_CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("pipe", {"type": "pipe", "command": "cat"}, None),
    ("set", {"type": "set", "handlers": ["a"]}, None),
    ("tcp", {"type": "tcp", "socket": {"host": "127.0.0.1", "port": 2003}}, None),
    (
        "bad_name",
        {"metadata": {"name": "a b", "namespace": "d"}, "type": "set"},
        "handler name cannot contain spaces or special characters",
    ),
    ("no_type", {}, "empty handler type"),
    ("unknown_type", {"type": "grpc"}, "unknown handler type: grpc"),
    ("pipe_blank_command", {"type": "pipe", "command": "  "}, "missing command"),
    ("udp_no_socket", {"type": "udp"}, "tcp and udp handlers need a valid socket"),
    ("tcp_no_host", {"type": "tcp", "socket": {"port": 1}}, "socket host undefined"),
    ("tcp_no_port", {"type": "tcp", "socket": {"host": "h"}}, "socket port undefined"),
    ("no_namespace", {"metadata": {"name": "x"}, "type": "set"}, "namespace must be set"),
]


@pytest.mark.parametrize(
    ("changes", "want"), [c[1:] for c in HANDLER_CASES], ids=[c[0] for c in HANDLER_CASES]
)
def test_handler_rules(changes: dict[str, Any], want: str | None) -> None:
    assert problem(build(Handler, {}, changes)) == want


def test_handler_rendering_and_fields() -> None:
    handler = build(
        Handler,
        {
            "type": "tcp",
            "socket": {"host": "h", "port": 1},
            "filters": ["is_incident"],
            "mutator": "m",
        },
        {},
    )
    assert rendered(handler) == {
        "metadata": META,
        "type": "tcp",
        "mutator": "m",
        "timeout": 0,
        "socket": {"host": "h", "port": 1},
        "handlers": None,
        "filters": ["is_incident"],
        "env_vars": None,
        "runtime_assets": None,
        "secrets": None,
    }
    assert handler.fields() == {
        "handler.name": "x",
        "handler.namespace": "default",
        "handler.filters": "is_incident",
        "handler.handlers": "",
        "handler.mutator": "m",
        "handler.type": "tcp",
    }


def ref(name: str, kind: str, api: str = "core/v2") -> dict[str, str]:
    return {"name": name, "type": kind, "api_version": api}


WORKFLOW = {
    "name": "w",
    "filters": [ref("f", "EventFilter")],
    "mutator": ref("m", "Mutator"),
    "handler": ref("h", "Handler"),
}
PIPELINE_CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("valid", {}, None),
    ("handler_only", {"name": "w", "handler": ref("h", "Handler")}, None),
    (
        "bad_workflow_name",
        {"name": "a b"},
        "workflow name cannot contain spaces or special characters",
    ),
    (
        "filter_wrong_kind",
        {"filters": [ref("f", "Handler")]},
        "workflow filter resource type not capable of filtering events: core/v2.Handler",
    ),
    (
        "filter_no_type",
        {"filters": [{"name": "f", "api_version": "core/v2"}]},
        "workflow filter type must be set",
    ),
    (
        "mutator_no_api_version",
        {"mutator": {"name": "m", "type": "Mutator"}},
        "workflow mutator api_version must be set",
    ),
    (
        "mutator_wrong_kind",
        {"mutator": ref("m", "Mutator", "pipeline/v1")},
        "workflow mutator resource type not capable of mutating events: pipeline/v1.Mutator",
    ),
    ("no_handler", {"handler": None}, "workflow handler must be set"),
    (
        "handler_bad_name",
        {"handler": ref("", "Handler")},
        "workflow handler name must not be empty",
    ),
    (
        "handler_wrong_kind",
        {"handler": ref("h", "TCPStreamHandler", "pipeline/v1")},
        "workflow handler resource type not capable of handling events: "
        "pipeline/v1.TCPStreamHandler",
    ),
]


@pytest.mark.parametrize(
    ("changes", "want"), [c[1:] for c in PIPELINE_CASES], ids=[c[0] for c in PIPELINE_CASES]
)
def test_pipeline_rules(changes: dict[str, Any], want: str | None) -> None:
    pipeline = build(Pipeline, {"workflows": [{**WORKFLOW, **changes}]}, {})
    assert problem(pipeline) == want


@pytest.mark.parametrize(
    ("meta", "want"),
    [
        ({"name": "", "namespace": "d"}, "pipeline name must not be empty"),
        ({"name": "p"}, "namespace must be set"),
    ],
    ids=["no_name", "no_namespace"],
)
def test_pipeline_metadata_rules(meta: dict[str, str], want: str) -> None:
    assert problem(load(Pipeline, {"metadata": meta, "workflows": []})) == want


def test_pipeline_rendering_and_fields() -> None:
    pipeline = build(Pipeline, {"workflows": [{"name": "w", "handler": ref("h", "Handler")}]}, {})
    assert rendered(pipeline) == {
        "metadata": META,
        "workflows": [{"name": "w", "handler": ref("h", "Handler")}],
    }
    assert rendered(build(Pipeline, {}, {})) == {"metadata": META, "workflows": None}
    assert pipeline.fields() == {"pipeline.name": "x", "pipeline.namespace": "default"}
