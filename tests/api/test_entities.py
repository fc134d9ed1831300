"""Entities and their events through the real server (issue 5, spec §2.3 / §3.10)."""

from __future__ import annotations

from typing import Any

import httpx

API = "/api/core/v2"


def post_event(
    client: httpx.Client, namespace: str, entity: str, check: str, **entity_fields: Any
) -> None:
    body = {
        "entity": {"metadata": {"name": entity}, **entity_fields},
        "check": {"metadata": {"name": check}, "status": 1},
    }
    response = client.post(f"{API}/namespaces/{namespace}/events", json=body)
    assert response.status_code == 201, response.text


def entity_url(namespace: str, name: str) -> str:
    return f"{API}/namespaces/{namespace}/entities/{name}"


def test_post_echoes_the_entity_and_refuses_duplicates(admin: httpx.Client, namespace: str) -> None:
    body = {"metadata": {"name": "sw1"}, "entity_class": "proxy", "subscriptions": ["net"]}
    created = admin.post(f"{API}/namespaces/{namespace}/entities", json=body)
    assert created.status_code == 200, created.text
    assert created.json()["metadata"] == {
        "name": "sw1",
        "namespace": namespace,
        "created_by": "admin",
    }
    again = admin.post(f"{API}/namespaces/{namespace}/entities", json=body)
    assert again.status_code == 409


def test_delete_removes_the_entity_and_its_events(admin: httpx.Client, namespace: str) -> None:
    for check in ("cpu", "mem"):
        post_event(admin, namespace, "web1", check)
    post_event(admin, namespace, "web10", "cpu")  # a name sharing the prefix is untouched
    assert len(admin.get(f"{API}/namespaces/{namespace}/events/web1").json()) == 2

    assert admin.delete(entity_url(namespace, "web1")).status_code == 204
    assert admin.get(entity_url(namespace, "web1")).status_code == 404
    assert admin.get(f"{API}/namespaces/{namespace}/events/web1").json() == []
    assert admin.get(f"{API}/namespaces/{namespace}/events/web1/cpu").status_code == 404
    assert len(admin.get(f"{API}/namespaces/{namespace}/events/web10").json()) == 1
    assert admin.delete(entity_url(namespace, "web1")).status_code == 404

    # A new event brings the entity back, with a fresh history.
    post_event(admin, namespace, "web1", "cpu")
    got = admin.get(f"{API}/namespaces/{namespace}/events/web1/cpu").json()
    assert len(got["check"]["history"]) == 1


def test_delete_of_a_missing_entity_still_deletes_its_events(
    admin: httpx.Client, namespace: str
) -> None:
    post_event(admin, namespace, "agent1", "cpu", entity_class="agent")  # no entity is created
    assert admin.get(entity_url(namespace, "agent1")).status_code == 404
    assert admin.delete(entity_url(namespace, "agent1")).status_code == 404
    assert admin.get(f"{API}/namespaces/{namespace}/events/agent1").json() == []


def test_agent_managed_entities_are_protected(admin: httpx.Client, namespace: str) -> None:
    managed = {"sensu.io/managed_by": "sensu-agent"}
    body = {"metadata": {"name": "a1", "labels": managed}, "entity_class": "agent"}
    assert admin.put(entity_url(namespace, "a1"), json=body).status_code == 409
    assert admin.post(f"{API}/namespaces/{namespace}/entities", json=body).status_code == 200
    plain = {"metadata": {"name": "a1"}, "entity_class": "agent"}
    refused = admin.put(entity_url(namespace, "a1"), json=plain)
    assert refused.status_code == 409
    assert refused.json()["message"] == "entity is managed by its agent"


def test_put_on_an_agent_entity_replaces_only_its_configuration(
    admin: httpx.Client, namespace: str
) -> None:
    keepalive = {
        "entity": {"metadata": {"name": "a2"}, "subscriptions": ["linux"]},
        "check": {"metadata": {"name": "keepalive"}, "timeout": 120},
    }
    assert admin.post(f"{API}/namespaces/{namespace}/events", json=keepalive).status_code == 201
    seen = admin.get(entity_url(namespace, "a2")).json()["last_seen"]
    assert seen > 0
    body = {"metadata": {"name": "a2"}, "entity_class": "agent", "subscriptions": ["web"]}
    assert admin.put(entity_url(namespace, "a2"), json=body).status_code == 200
    got = admin.get(entity_url(namespace, "a2")).json()
    assert got["entity_class"] == "agent"
    assert got["subscriptions"] == ["web", "entity:a2"]
    assert got["last_seen"] == seen


def test_put_on_a_proxy_entity_replaces_it(admin: httpx.Client, namespace: str) -> None:
    post_event(admin, namespace, "p1", "ping", subscriptions=["net"])
    body = {"metadata": {"name": "p1", "labels": {"site": "b"}}, "entity_class": "proxy"}
    assert admin.put(entity_url(namespace, "p1"), json=body).status_code == 200
    got = admin.get(entity_url(namespace, "p1")).json()
    assert got["metadata"]["labels"] == {"site": "b"}
    assert not got.get("subscriptions")
    # Events now carry the replaced entity.
    post_event(admin, namespace, "p1", "ping")
    event = admin.get(f"{API}/namespaces/{namespace}/events/p1/ping").json()
    assert event["entity"]["metadata"]["labels"] == {"site": "b"}


def test_entity_label_redaction_applies_to_events(admin: httpx.Client, namespace: str) -> None:
    post_event(admin, namespace, "r1", "cpu", metadata={"name": "r1", "labels": {"password": "x"}})
    entity = admin.get(entity_url(namespace, "r1")).json()
    assert entity["metadata"]["labels"] == {"password": "REDACTED"}
    event = admin.get(f"{API}/namespaces/{namespace}/events/r1/cpu").json()
    assert event["entity"]["metadata"]["labels"] == {"password": "REDACTED"}
