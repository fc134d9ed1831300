"""Event: validation, identity, labels, fields and rendering."""

from __future__ import annotations

from typing import Any

import pytest

from vigil.model.base import decode, encode
from vigil.model.events import Event

from .helpers import load, problem, rendered

EVENT_ID = "0b8a9f3e-8b43-4d7e-9b1a-2f4c1d2e3f40"


def event_doc(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "metadata": {"namespace": "default"},
        "entity": {
            "metadata": {"name": "web1", "namespace": "default"},
            "entity_class": "agent",
            "subscriptions": ["linux"],
        },
        "check": {
            "metadata": {"name": "disk", "namespace": "default"},
            "status": 2,
            "output": "full",
            "interval": 60,
            "publish": True,
        },
    }
    document.update(changes)
    return document


def event_with(**changes: Any) -> Event:
    return load(Event, event_doc(**changes))


CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("valid", {}, None),
    ("valid_id", {"id": EVENT_ID}, None),
    ("metrics_only", {"check": None, "metrics": {"points": []}}, None),
    ("no_entity", {"entity": None}, "event must contain an entity"),
    ("no_check_or_metrics", {"check": None}, "event must contain a check or metrics"),
    (
        "bad_entity",
        {"entity": {"metadata": {"name": "web1"}, "entity_class": "agent"}},
        "entity is invalid: namespace must be set",
    ),
    (
        "bad_check",
        {"check": {"metadata": {"name": "a b"}}},
        "check is invalid: check name cannot contain spaces or special characters",
    ),
    (
        "bad_check_ttl",
        {"check": {"metadata": {"name": "c"}, "ttl": 3}},
        "check is invalid: minimum ttl is 5 seconds",
    ),
    (
        "bad_pipeline_ref",
        {"pipelines": [{"name": "p", "type": "Handler", "api_version": "core/v2"}]},
        "pipeline reference is invalid: resource type not capable of acting as a pipeline: "
        "core/v2.Handler",
    ),
    (
        "good_pipeline_ref",
        {"pipelines": [{"name": "p", "type": "Pipeline", "api_version": "core/v2"}]},
        None,
    ),
    ("named", {"metadata": {"name": "x", "namespace": "default"}}, "events cannot be named"),
    ("bad_id", {"id": "not-a-uuid"}, "event ID is invalid: invalid UUID 'not-a-uuid'"),
]


@pytest.mark.parametrize(("changes", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rules(changes: dict[str, Any], want: str | None) -> None:
    assert problem(event_with(**changes)) == want


def test_identity() -> None:
    event = event_with()
    assert (event.key_namespace(), event.key_name()) == ("default", "web1/disk")
    metrics_only = event_with(check=None, metrics={"handlers": ["influx"]})
    assert metrics_only.key_name() == "web1/"


def test_set_created_by_stamps_all_parts() -> None:
    event = event_with()
    event.set_created_by("alice")
    assert event.metadata.created_by == "alice"
    assert event.check is not None and event.check.metadata.created_by == "alice"
    assert event.entity is not None and event.entity.metadata.created_by == "alice"


def test_labels_event_wins() -> None:
    document = event_doc(metadata={"namespace": "default", "labels": {"a": "event"}})
    document["entity"]["metadata"]["labels"] = {"a": "entity", "b": "entity", "c": "entity"}
    document["check"]["metadata"]["labels"] = {"a": "check", "b": "check"}
    event = load(Event, document)
    assert event.labels() == {"a": "event", "b": "check", "c": "entity"}
    fields = event.fields()
    # The field set merges event, entity, then check labels, as Sensu's code does.
    assert fields["event.labels.a"] == "check"
    assert fields["event.labels.c"] == "entity"


def test_fields() -> None:
    document = event_doc(timestamp=1700000000)
    document["check"].update(
        handlers=["slack"],
        silenced=["linux:*"],
        last_ok=99,
        state="failing",
        runtime_assets=["r"],
        subscriptions=["linux"],
    )
    fields = load(Event, document).fields()
    assert fields == {
        "event.name": "",
        "event.namespace": "default",
        "event.is_silenced": "true",
        "event.timestamp": "1700000000",
        "event.check.handlers": "slack",
        "event.check.is_silenced": "true",
        "event.check.last_ok": "99",
        "event.check.name": "disk",
        "event.check.publish": "true",
        "event.check.round_robin": "false",
        "event.check.runtime_assets": "r",
        "event.check.state": "failing",
        "event.check.status": "2",
        "event.check.subscriptions": "linux",
        "event.entity.deregister": "false",
        "event.entity.name": "web1",
        "event.entity.entity_class": "agent",
        "event.entity.subscriptions": "linux",
    }


def test_fields_without_check() -> None:
    fields = event_with(check=None, metrics={}).fields()
    assert fields["event.check.name"] == ""
    assert fields["event.is_silenced"] == "false"


def test_rendering_is_alphabetical_and_round_trips() -> None:
    event = event_with(
        id=EVENT_ID,
        timestamp=5,
        sequence=3,
        metrics={
            "handlers": ["h"],
            "points": [
                {
                    "name": "cpu",
                    "value": 0.5,
                    "timestamp": 5,
                    "tags": [{"name": "host", "value": "web1"}],
                }
            ],
        },
    )
    body = rendered(event)
    assert list(body) == [
        "check",
        "entity",
        "id",
        "metadata",
        "metrics",
        "pipelines",
        "sequence",
        "timestamp",
    ]
    assert body["pipelines"] is None and body["id"] == EVENT_ID
    assert body["check"]["history"] is None
    assert decode(Event, encode(event)) == event


def test_rendering_without_optional_parts() -> None:
    body = rendered(load(Event, {"entity": {"metadata": {"name": "e"}}}))
    assert "check" not in body and "metrics" not in body and "timestamp" not in body
    assert body["id"] is None and body["sequence"] == 0


def test_public_redacts_entity() -> None:
    document = event_doc()
    document["entity"]["metadata"]["labels"] = {"password": "hunter2"}
    public = load(Event, document).public()
    assert public.entity is not None
    assert public.entity.metadata.labels == {"password": "REDACTED"}
