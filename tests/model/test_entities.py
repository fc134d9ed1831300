"""Entity: validation, rendering, redaction and fields."""

from __future__ import annotations

from typing import Any

import pytest

from vigil.model.base import encode
from vigil.model.entities import Entity, is_redacted

from .helpers import load, problem, rendered

ENTITY: dict[str, Any] = {
    "metadata": {"name": "web1", "namespace": "default"},
    "entity_class": "agent",
    "subscriptions": ["linux", "entity:web1"],
}


def entity_with(**changes: Any) -> Entity:
    return load(Entity, {**ENTITY, **changes})


CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("valid", {}, None),
    ("proxy_class", {"entity_class": "proxy"}, None),
    ("empty_name", {"metadata": {"namespace": "default"}}, "entity name must not be empty"),
    (
        "bad_name",
        {"metadata": {"name": "web 1", "namespace": "default"}},
        "entity name cannot contain spaces or special characters",
    ),
    ("empty_class", {"entity_class": ""}, "entity class name must not be empty"),
    (
        "bad_class",
        {"entity_class": "a b"},
        "entity class name cannot contain spaces or special characters",
    ),
    ("no_namespace", {"metadata": {"name": "web1"}}, "namespace must be set"),
]


@pytest.mark.parametrize(("changes", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rules(changes: dict[str, Any], want: str | None) -> None:
    assert problem(entity_with(**changes)) == want


def test_rendering_shape() -> None:
    body = rendered(
        load(Entity, {"metadata": {"name": "p", "namespace": "default"}, "entity_class": "proxy"})
    )
    assert body == {
        "entity_class": "proxy",
        "system": {
            "network": {"interfaces": None},
            "libc_type": "",
            "vm_system": "",
            "vm_role": "",
            "cloud_provider": "",
            "processes": None,
        },
        "subscriptions": None,
        "last_seen": 0,
        "deregister": False,
        "deregistration": {},
        "metadata": {"name": "p", "namespace": "default"},
        "sensu_agent_version": "",
    }


def test_round_trip() -> None:
    full = entity_with(
        system={
            "hostname": "web1",
            "os": "linux",
            "arch": "amd64",
            "arm_version": 7,
            "network": {"interfaces": [{"name": "eth0", "mac": "aa", "addresses": ["10.0.0.1/8"]}]},
            "processes": [{"name": "sensu-agent"}],
        },
        last_seen=1700000000,
        deregister=True,
        deregistration={"handler": "dereg"},
        user="agent",
        redact=["token"],
        sensu_agent_version="6.12.0",
        keepalive_handlers=["keepalive"],
    )
    assert load(Entity, rendered(full)) == full
    assert rendered(full)["deregistration"] == {"handler": "dereg"}


REDACT_CASES = [
    (
        "default_password",
        {"password": "p", "region": "eu"},
        [],
        {"password": "REDACTED", "region": "eu"},
    ),
    ("default_case_insensitive", {"API_KEY": "k"}, [], {"API_KEY": "REDACTED"}),
    (
        "loose_separators",
        {"api-key": "k", "Secret_Key": "s"},
        [],
        {"api-key": "REDACTED", "Secret_Key": "REDACTED"},
    ),
    (
        "custom_list_replaces_default",
        {"password": "p", "token": "t"},
        ["token"],
        {"password": "p", "token": "REDACTED"},
    ),
    ("alphanumeric_kept", {"pass1": "x"}, [], {"pass1": "x"}),
]


@pytest.mark.parametrize(
    ("labels", "redact", "want"), [c[1:] for c in REDACT_CASES], ids=[c[0] for c in REDACT_CASES]
)
def test_public_redacts_labels_and_annotations(
    labels: dict[str, str], redact: list[str], want: dict[str, str]
) -> None:
    entity = entity_with(
        metadata={**ENTITY["metadata"], "labels": labels, "annotations": labels}, redact=redact
    )
    public = entity.public()
    assert public.metadata.labels == want
    assert public.metadata.annotations == want
    assert entity.metadata.labels == labels  # the stored form is untouched


def test_public_without_maps_is_same_object() -> None:
    entity = entity_with()
    assert entity.public() is entity
    assert b"REDACTED" not in encode(entity.public())


def test_is_redacted_ignores_empty_key() -> None:
    assert not is_redacted("", ["password"])


def test_fields() -> None:
    entity = entity_with(
        metadata={**ENTITY["metadata"], "labels": {"region": "eu"}}, deregister=True
    )
    assert entity.fields() == {
        "entity.name": "web1",
        "entity.namespace": "default",
        "entity.deregister": "true",
        "entity.entity_class": "agent",
        "entity.subscriptions": "linux,entity:web1",
        "entity.labels.region": "eu",
    }
