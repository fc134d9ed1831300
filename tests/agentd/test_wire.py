"""The wire shapes: frames, Go's reading of null, the core/v3 EntityConfig."""

from __future__ import annotations

import pytest

from tests.agentd.stock_agent import AgentConfig, StockAgent, go_json
from vigil.agentd import wire
from vigil.errors import InvalidArgument
from vigil.pipeline.eventd import prepare_incoming


def test_frames() -> None:
    assert wire.encode("event", b"{}") == b"event\n{}"
    assert wire.decode(b'check_request\n{"a":"\\n"}') == ("check_request", b'{"a":"\\n"}')
    assert wire.decode(b"keepalive\n") == ("keepalive", b"")
    with pytest.raises(InvalidArgument):
        wire.decode(b"keepalive")


def test_nulls_mean_not_given_at_any_depth() -> None:
    doc = {"a": None, "b": {"c": None, "d": [1, {"e": None}]}, "f": [None]}
    assert wire.without_nulls(doc) == {"b": {"d": [1, {}]}, "f": [None]}


def test_a_stock_keepalive_decodes_and_validates() -> None:
    """Go's nulls (pipelines, processes, runtime_assets, subscriptions ...) are no obstacle."""
    payload = StockAgent("ws://unused", AgentConfig("web1")).keepalive_payload()
    assert b'"pipelines":null' in payload
    assert b'"subscriptions":null' in payload
    event = wire.decode_event(payload)
    prepared = prepare_incoming(event, "default", None)
    assert prepared["entity"]["metadata"]["name"] == "web1"
    assert prepared["check"]["timeout"] == 120


@pytest.mark.parametrize("payload", [b"[]", b"1", b"{", b'{"entity": 3}', b"{}"])
def test_not_an_event(payload: bytes) -> None:
    with pytest.raises(InvalidArgument):
        wire.decode_event(payload)


def test_entity_config_shape() -> None:
    entity = {
        "metadata": {"name": "web1", "namespace": "default", "labels": {"a": "b"}},
        "entity_class": "agent",
        "system": {"hostname": "web1"},
        "subscriptions": ["linux"],
        "last_seen": 12,
        "deregister": True,
        "deregistration": {"handler": "slack"},
        "user": "agent",
        "redact": [],
        "sensu_agent_version": "6.12.0",
        "keepalive_handlers": ["pagerduty"],
    }
    config = wire.entity_config(entity)
    assert list(config) == [
        "metadata",
        "entity_class",
        "user",
        "subscriptions",
        "deregister",
        "deregistration",
        "keepalive_handlers",
    ]
    assert config["deregistration"] == {"handler": "slack"}
    bare = wire.entity_config({"metadata": {"name": "x"}, "entity_class": "agent"})
    assert bare == {
        "metadata": {"name": "x"},
        "entity_class": "agent",
        "subscriptions": None,
        "deregister": False,
        "deregistration": {},
    }
    assert wire.digest(config) != wire.digest(bare)
    assert wire.digest(wire.entity_config(dict(entity, last_seen=99))) == wire.digest(config)


def test_managed_label_left_out_of_the_first_config() -> None:
    labels = {"sensu.io/managed_by": "sensu-agent"}
    config = wire.entity_config({"metadata": {"name": "x", "labels": labels}})
    assert "labels" not in wire.without_managed_label(config)["metadata"]
    assert config["metadata"]["labels"] == labels  # the original is untouched


def test_go_json_escapes_like_go() -> None:
    assert go_json({"o": "<a> & \u2028"}) == b'{"o":"\\u003ca\\u003e \\u0026 \\u2028"}'
