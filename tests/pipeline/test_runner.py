"""The runner end to end: real handler processes, sets, pipelines, errors, queue and workers."""

from __future__ import annotations

import asyncio
import logging
import shlex
from pathlib import Path
from typing import Any

import orjson
import pytest

from vigil.pipeline.runner import PipelineRunner, pipeline_refs, redact_entity
from vigil.settings import Settings

Doc = dict[str, Any]
Resources = dict[tuple[str, str], Doc]


class Counts:
    """A PipelineMetrics that keeps what it is told."""

    def __init__(self) -> None:
        self.dropped = 0
        self.filter_errors = 0
        self.handlers: list[tuple[str, bool]] = []

    def event_dropped(self) -> None:
        self.dropped += 1

    def handler_result(self, handler_type: str, ok: bool) -> None:
        self.handlers.append((handler_type, ok))

    def filter_error(self) -> None:
        self.filter_errors += 1

    def script_failure(self, reason: str) -> None:
        pass


def event(handlers: list[str] | None = None, *, status: int = 2, **extra: Any) -> Doc:
    return {
        "timestamp": 1700000000,
        "id": "2f0b8a5e-4c3b-4d8e-9b1a-1c2d3e4f5a6b",
        "metadata": {"namespace": "default"},
        "entity": {
            "entity_class": "agent",
            "metadata": {
                "name": "web1",
                "namespace": "default",
                "labels": {"region": "eu", "api_key": "k-123"},
            },
        },
        "check": {
            "metadata": {"name": "disk", "namespace": "default"},
            "status": status,
            "output": "disk is full",
            "history": [{"status": 0}, {"status": status}],
            "handlers": handlers or [],
        },
        **extra,
    }


def recorder(log: Path, name: str) -> Doc:
    """A pipe handler appending its name to ``log``."""
    return {"type": "pipe", "command": f"cat >/dev/null; echo {name} >> {shlex.quote(str(log))}"}


def saver(path: Path) -> Doc:
    """A pipe handler writing what it receives to ``path``."""
    return {"type": "pipe", "command": f"cat > {shlex.quote(str(path))}", "timeout": 10}


def make_runner(
    resources: Resources, counts: Counts | None = None, **settings: Any
) -> PipelineRunner:
    async def lookup(kind: str, namespace: str, name: str) -> Doc | None:
        assert namespace == "default"
        return resources.get((kind, name))

    options = {"pipeline_workers": 2, "pipeline_queue_size": 10, "js_timeout": 1.0, **settings}
    # Handlers write into the test's private directory: run them as the suite's own user.
    return PipelineRunner(lookup, Settings(**{"handler_user": "", **options}), counts)


def process(resources: Resources, doc: Doc, counts: Counts | None = None) -> None:
    async def main() -> None:
        runner = make_runner(resources, counts)
        await runner.process(doc)
        await runner.stop(1)

    asyncio.run(main())


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


# --- legacy handlers ----------------------------------------------------------------------------


def test_handler_receives_the_redacted_event_json(tmp_path: Path) -> None:
    out = tmp_path / "event.json"
    counts = Counts()
    process({("handlers", "save"): saver(out)}, event(["save"]), counts)
    received = orjson.loads(out.read_bytes())
    expected = event(["save"])
    expected["entity"]["metadata"]["labels"]["api_key"] = "REDACTED"
    assert received == expected
    assert counts.handlers == [("pipe", True)]


def test_handler_filters_and_mutator_apply(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    handler = {**saver(out), "filters": ["is_incident"], "mutator": "only_check_output"}
    resources = {("handlers", "save"): handler}
    ok = event(["save"], status=0)
    ok["check"]["history"] = [{"status": 0}, {"status": 0}]
    process(resources, ok)
    assert not out.exists()  # not an incident, not a resolution
    process(resources, event(["save"]))
    assert out.read_bytes() == b"disk is full"


def test_sets_expand_sorted_and_deduplicated(tmp_path: Path) -> None:
    log = tmp_path / "ran"
    resources: Resources = {
        ("handlers", "ops"): {"type": "set", "handlers": ["zeta", "nested", "ghost"]},
        ("handlers", "nested"): {"type": "set", "handlers": ["alpha", "zeta"]},
        ("handlers", "alpha"): recorder(log, "alpha"),
        ("handlers", "zeta"): recorder(log, "zeta"),
    }
    process(resources, event(["ops", "alpha", "missing"]))
    assert lines(log) == ["alpha", "zeta"]


def test_sets_deeper_than_three_levels_are_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "ran"
    resources: Resources = {
        ("handlers", "s1"): {"type": "set", "handlers": ["s2", "h1"]},
        ("handlers", "s2"): {"type": "set", "handlers": ["s3", "h2"]},
        ("handlers", "s3"): {"type": "set", "handlers": ["h3"]},
        **{("handlers", h): recorder(log, h) for h in ("h1", "h2", "h3")},
    }
    process(resources, event(["s1"]))
    assert lines(log) == ["h1", "h2"]
    assert "handler sets cannot be deeply nested" in caplog.text


def test_set_loops_terminate(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    log = tmp_path / "ran"
    resources: Resources = {
        ("handlers", "a"): {"type": "set", "handlers": ["b", "h"]},
        ("handlers", "b"): {"type": "set", "handlers": ["a"]},
        ("handlers", "h"): recorder(log, "h"),
    }
    process(resources, event(["a"]))
    assert lines(log) == ["h"]
    assert "loop" in caplog.text


def test_no_existing_handler_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="vigil.pipeline"):
        process({}, event(["ghost"]))
    assert "legacy pipeline found no existing handlers" in caplog.text
    assert "entity=web1 check=disk" in caplog.text


def test_metrics_handlers_are_used(tmp_path: Path) -> None:
    out = tmp_path / "metrics.json"
    doc = event()
    del doc["check"]
    doc["metrics"] = {"handlers": ["save"], "points": [{"name": "cpu", "value": 1.0}]}
    handler = {**saver(out), "filters": ["has_metrics"]}
    process({("handlers", "save"): handler}, doc)
    assert orjson.loads(out.read_bytes())["metrics"]["points"][0]["name"] == "cpu"


# --- core/v2 pipelines ----------------------------------------------------------------------------


def ref(name: str, type_: str) -> Doc:
    return {"name": name, "type": type_, "api_version": "core/v2"}


def test_pipeline_workflows(tmp_path: Path) -> None:
    resources: Resources = {
        ("pipelines", "p"): {
            "metadata": {"name": "p", "namespace": "default"},
            "workflows": [
                {
                    "name": "output",
                    "filters": [ref("is_incident", "EventFilter")],
                    "mutator": ref("only_check_output", "Mutator"),
                    "handler": ref("one", "Handler"),
                },
                {
                    "name": "denied",
                    "filters": [ref("quiet", "EventFilter")],
                    "handler": ref("two", "Handler"),
                },
                {"name": "plain", "handler": ref("three", "Handler")},
            ],
        },
        ("filters", "quiet"): {"action": "deny", "expressions": ["event.check.status > 0"]},
        ("handlers", "one"): saver(tmp_path / "one"),
        ("handlers", "two"): saver(tmp_path / "two"),
        ("handlers", "three"): saver(tmp_path / "three"),
    }
    process(resources, event(pipelines=[ref("p", "Pipeline")]))
    assert (tmp_path / "one").read_bytes() == b"disk is full"
    assert not (tmp_path / "two").exists()  # a denying filter skips only its workflow
    assert orjson.loads((tmp_path / "three").read_bytes())["check"]["status"] == 2


def test_an_error_stops_the_pipeline_but_not_other_refs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    resources: Resources = {
        ("pipelines", "p"): {
            "workflows": [
                {
                    "name": "bad",
                    "mutator": ref("ghost", "Mutator"),
                    "handler": ref("one", "Handler"),
                },
                {"name": "after", "handler": ref("two", "Handler")},
            ]
        },
        ("handlers", "one"): saver(tmp_path / "one"),
        ("handlers", "two"): saver(tmp_path / "two"),
        ("handlers", "legacy"): saver(tmp_path / "legacy"),
    }
    counts = Counts()
    process(resources, event(["legacy"], pipelines=[ref("p", "Pipeline")]), counts)
    assert not (tmp_path / "one").exists() and not (tmp_path / "two").exists()
    assert (tmp_path / "legacy").exists()
    assert 'mutator "ghost" does not exist' in caplog.text
    assert counts.handlers == [("unknown", False), ("pipe", True)]


def test_unsupported_ref_skips_the_remaining_refs(tmp_path: Path) -> None:
    resources: Resources = {("handlers", "legacy"): saver(tmp_path / "legacy")}
    doc = event(["legacy"], pipelines=[{"name": "x", "type": "Mystery", "api_version": "v9"}])
    process(resources, doc)
    assert not (tmp_path / "legacy").exists()


def test_missing_pipeline_and_refs() -> None:
    assert pipeline_refs(event()) == []
    doc = event(["h"], pipelines=[ref("p", "Pipeline")])
    assert [r.name for r in pipeline_refs(doc)] == ["p", "legacy-pipeline"]
    process({}, doc)  # logged, nothing raised


def test_redaction_uses_the_entity_list_loosely() -> None:
    doc = event()
    doc["entity"]["redact"] = ["Region"]
    doc["entity"]["metadata"]["annotations"] = {"REGION": "x", "other": "y"}
    redacted = redact_entity(doc)["entity"]["metadata"]
    assert redacted["labels"] == {"region": "REDACTED", "api_key": "k-123"}
    assert redacted["annotations"] == {"REGION": "REDACTED", "other": "y"}
    assert doc["entity"]["metadata"]["labels"]["region"] == "eu"  # the caller's copy is untouched


# --- workers and the queue ------------------------------------------------------------------------


def test_endless_filter_drops_that_event_and_the_worker_goes_on(tmp_path: Path) -> None:
    out = tmp_path / "second.json"
    resources: Resources = {
        ("filters", "spin"): {"action": "allow", "expressions": ["while (true) {}"]},
        ("handlers", "stuck"): {**saver(tmp_path / "first.json"), "filters": ["spin"]},
        ("handlers", "save"): saver(out),
    }
    counts = Counts()

    async def main() -> None:
        runner = make_runner(resources, counts, pipeline_workers=1, js_timeout=0.2)
        await runner.start()
        assert runner.submit(event(["stuck"]))
        assert runner.submit(event(["save"]))
        await runner.stop(drain_timeout=30)

    asyncio.run(main())
    assert not (tmp_path / "first.json").exists()
    assert orjson.loads(out.read_bytes())["check"]["handlers"] == ["save"]
    assert counts.filter_errors == 1


def test_full_queue_drops_and_counts(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    log = tmp_path / "ran"
    counts = Counts()

    async def main() -> list[bool]:
        runner = make_runner({("handlers", "h"): recorder(log, "h")}, counts, pipeline_queue_size=2)
        accepted = [runner.submit(event(["h"])) for _ in range(4)]
        assert runner.queued == 2 and runner.dropped == 2
        await runner.start()
        await runner.stop(drain_timeout=30)
        accepted.append(runner.submit(event(["h"])))  # stopped: refused too
        return accepted

    assert asyncio.run(main()) == [True, True, False, False, False]
    assert counts.dropped == 3
    assert lines(log) == ["h", "h"]
    assert "event dropped" in caplog.text


def test_stop_drains_the_queue(tmp_path: Path) -> None:
    log = tmp_path / "ran"

    async def main() -> None:
        runner = make_runner({("handlers", "h"): recorder(log, "h")}, pipeline_workers=3)
        await runner.start()
        for _ in range(6):
            assert runner.submit(event(["h"]))
        await runner.stop(drain_timeout=30)

    asyncio.run(main())
    assert lines(log) == ["h"] * 6


def test_stop_gives_up_on_a_stuck_handler(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    resources: Resources = {("handlers", "slow"): {"type": "pipe", "command": "sleep 30"}}

    async def main() -> None:
        runner = make_runner(resources, pipeline_workers=1)
        await runner.start()
        runner.submit(event(["slow"]))
        runner.submit(event(["slow"]))
        await asyncio.sleep(0.1)
        await runner.stop(drain_timeout=0.2)

    asyncio.run(main())
    assert "events not handled" in caplog.text


def test_failures_are_counted_by_handler_type(tmp_path: Path) -> None:
    resources: Resources = {
        ("handlers", "fails"): {"type": "pipe", "command": "cat >/dev/null; exit 1"},
        ("handlers", "nowhere"): {
            "type": "tcp",
            "socket": {"host": "127.0.0.1", "port": 9},
            "timeout": 2,
        },
    }
    counts = Counts()
    process(resources, event(["fails"]), counts)
    process(resources, event(["nowhere"]), counts)
    assert counts.handlers == [("pipe", False), ("tcp", False)]
