"""Silencing through the real server: which silences mark which events, how expiry is set and
enforced, and ``expire_on_resolve`` (issue 5)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support import LiveServer, client_for, token_for, wait_for
from vigil.settings import Settings

# Expired silences are swept every 0.2 s here (the default is 1 s).
LIVE_SETTINGS = {"silence_expiry_interval": 0.2}

API = "/api/core/v2"
HOUR = 3600


def silence(client: httpx.Client, namespace: str, **body: Any) -> None:
    response = client.post(f"{API}/namespaces/{namespace}/silenced", json=body)
    assert response.status_code == 201, response.text


def send(
    client: httpx.Client, namespace: str, status: int = 2, *, entity_subs: list[str] | None = None,
    **check: Any,
) -> dict[str, Any]:  # fmt: skip
    """POST a result of check ``cpu`` on ``web1`` and return the stored check."""
    entity = {"metadata": {"name": "web1"}, "subscriptions": entity_subs or ["linux", "web"]}
    body = {"entity": entity, "check": {"metadata": {"name": "cpu"}, "status": status, **check}}
    response = client.post(f"{API}/namespaces/{namespace}/events", json=body)
    assert response.status_code == 201, response.text
    got = client.get(f"{API}/namespaces/{namespace}/events/web1/cpu")
    assert got.status_code == 200
    stored: dict[str, Any] = got.json()["check"]
    return stored


# The event: entity web1 subscribes to linux and web; check cpu runs on linux. So its
# candidate subscriptions are entity:web1 and linux (web is not shared with the check).
MATRIX: dict[str, tuple[dict[str, Any], list[str]]] = {
    "subscription": ({"subscription": "linux"}, ["linux:*"]),
    "check": ({"check": "cpu"}, ["*:cpu"]),
    "subscription and check": ({"subscription": "linux", "check": "cpu"}, ["linux:cpu"]),
    "other check": ({"subscription": "linux", "check": "mem"}, []),
    "wildcard subscription": ({"subscription": "*", "check": "cpu"}, ["*:cpu"]),
    "wildcard check": ({"subscription": "linux", "check": "*"}, ["linux:*"]),
    "entity-only subscription": ({"subscription": "web"}, []),
    "unrelated subscription": ({"subscription": "windows"}, []),
    "entity": ({"subscription": "entity:web1"}, ["entity:web1:*"]),
    "entity and check": ({"subscription": "entity:web1", "check": "cpu"}, ["entity:web1:cpu"]),
    "other entity": ({"subscription": "entity:web2"}, []),
    "begins later": ({"subscription": "linux", "begin": int(time.time()) + HOUR, "expire": 60}, []),
    "already expired": ({"check": "cpu", "expire_at": int(time.time()) - 60}, []),
}


@pytest.mark.parametrize("case", MATRIX, ids=list(MATRIX))
def test_silencing_matrix(admin: httpx.Client, namespace: str, case: str) -> None:
    body, expected = MATRIX[case]
    silence(admin, namespace, **body)
    check = send(admin, namespace, subscriptions=["linux"])
    assert (check.get("silenced") or []) == expected
    assert check["is_silenced"] is bool(expected)


def test_proxy_checks_match_every_subscription_of_the_entity(
    admin: httpx.Client, namespace: str
) -> None:
    entity = {"metadata": {"name": "site1"}, "entity_class": "proxy", "subscriptions": ["web"]}
    assert admin.post(f"{API}/namespaces/{namespace}/entities", json=entity).status_code == 200
    silence(admin, namespace, subscription="web")
    body = {
        "entity": {"metadata": {"name": "poller"}},
        "check": {"metadata": {"name": "http"}, "status": 2, "proxy_entity_name": "site1"},
    }
    assert admin.post(f"{API}/namespaces/{namespace}/events", json=body).status_code == 201
    check = admin.get(f"{API}/namespaces/{namespace}/events/site1/http").json()["check"]
    assert (check["silenced"], check["is_silenced"]) == (["web:*"], True)


def test_every_matching_silence_is_listed(admin: httpx.Client, namespace: str) -> None:
    for body in ({"subscription": "linux"}, {"check": "cpu"}, {"subscription": "entity:web1"}):
        silence(admin, namespace, **body)
    check = send(admin, namespace, subscriptions=["linux"])
    assert sorted(check["silenced"]) == ["*:cpu", "entity:web1:*", "linux:*"]
    field = "event.check.is_silenced == true"
    found = admin.get(f"{API}/namespaces/{namespace}/events", params={"fieldSelector": field})
    assert [e["check"]["metadata"]["name"] for e in found.json()] == ["cpu"]


def test_unsilenced_event(admin: httpx.Client, namespace: str) -> None:
    check = send(admin, namespace)
    assert (check.get("silenced") or [], check["is_silenced"]) == ([], False)


def test_a_silence_written_now_applies_to_the_next_event(
    admin: httpx.Client, namespace: str
) -> None:
    assert send(admin, namespace)["is_silenced"] is False
    silence(admin, namespace, check="cpu")
    assert send(admin, namespace)["silenced"] == ["*:cpu"]
    assert admin.delete(f"{API}/namespaces/{namespace}/silenced/*:cpu").status_code == 204
    assert send(admin, namespace)["is_silenced"] is False


# --- expire_on_resolve ------------------------------------------------------------------------


def test_expire_on_resolve_is_deleted_by_the_resolution(
    admin: httpx.Client, namespace: str
) -> None:
    silence(admin, namespace, check="cpu", expire_on_resolve=True)
    silence(admin, namespace, subscription="entity:web1")  # stays: not expire_on_resolve
    assert sorted(send(admin, namespace, 2)["silenced"]) == ["*:cpu", "entity:web1:*"]
    assert sorted(send(admin, namespace, 2)["silenced"]) == ["*:cpu", "entity:web1:*"]

    resolved = send(admin, namespace, 0)
    assert resolved["silenced"] == ["entity:web1:*"]
    assert resolved["is_silenced"] is True
    assert admin.get(f"{API}/namespaces/{namespace}/silenced/*:cpu").status_code == 404
    assert admin.get(f"{API}/namespaces/{namespace}/silenced/entity:web1:*").status_code == 200


def test_expire_on_resolve_needs_a_real_resolution(admin: httpx.Client, namespace: str) -> None:
    silence(admin, namespace, check="cpu", expire_on_resolve=True)
    send(admin, namespace, 0)
    assert send(admin, namespace, 0)["silenced"] == ["*:cpu"]  # OK after OK: no resolution
    assert admin.get(f"{API}/namespaces/{namespace}/silenced/*:cpu").status_code == 200


def test_resolution_marks_only_its_own_silences(admin: httpx.Client, namespace: str) -> None:
    # The silence is written after the incident: it does not cover the incident, but it does
    # cover the resolution, which is what it is deleted for.
    send(admin, namespace, 2)
    silence(admin, namespace, check="cpu", expire_on_resolve=True)
    resolved = send(admin, namespace, 0)
    assert resolved.get("silenced", []) == []
    assert resolved["is_silenced"] is True  # Sensu does not recompute it after the deletion
    assert admin.get(f"{API}/namespaces/{namespace}/silenced/*:cpu").status_code == 404


# --- the resource: name, expiry, limits -------------------------------------------------------


def test_name_begin_creator_and_expire_at(admin: httpx.Client, namespace: str) -> None:
    before = int(time.time())
    silence(admin, namespace, subscription="linux", check="cpu", expire=600, reason="upgrade")
    got = admin.get(f"{API}/namespaces/{namespace}/silenced/linux:cpu").json()
    assert got["metadata"]["name"] == "linux:cpu"
    assert before <= got["begin"] <= int(time.time())
    assert (got["expire"], got["expire_at"]) == (600, got["begin"] + 600)
    assert got["creator"] == got["metadata"]["created_by"] == "admin"

    later = int(time.time()) + HOUR
    silence(admin, namespace, check="mem", begin=later, expire=60)
    got = admin.get(f"{API}/namespaces/{namespace}/silenced/*:mem").json()
    assert (got["begin"], got["expire_at"]) == (later, later + 60)

    silence(admin, namespace, subscription="db")  # no expiry given: until deleted
    got = admin.get(f"{API}/namespaces/{namespace}/silenced/db:*").json()
    assert (got["expire"], got["expire_at"]) == (-1, 0)


def test_expire_reads_back_as_sent_and_maintenance_can_be_scheduled(
    admin: httpx.Client, namespace: str
) -> None:
    """The Ansible ``silence`` module compares what it sent with what it reads."""
    url = f"{API}/namespaces/{namespace}/silenced"
    silence(admin, namespace, check="a", expire=-1)
    assert admin.get(f"{url}/*:a").json()["expire"] == -1
    month = 30 * 24 * HOUR
    silence(admin, namespace, check="b", expire=month)  # no maximum by default
    got = admin.get(f"{url}/*:b").json()
    assert (got["expire"], got["expire_at"]) == (month, got["begin"] + month)
    begin = int(time.time()) + month
    silence(admin, namespace, check="c", begin=begin, expire=HOUR)
    got = admin.get(f"{url}/*:c").json()
    assert (got["begin"], got["expire"], got["expire_at"]) == (begin, HOUR, begin + HOUR)
    assert admin.put(f"{url}/*:c", json=got).status_code == 201
    assert admin.get(f"{url}/*:c").json() == got  # unchanged by a round trip


def test_client_names_are_replaced_but_put_must_agree(admin: httpx.Client, namespace: str) -> None:
    silence(admin, namespace, metadata={"name": "whatever"}, subscription="linux")
    assert admin.get(f"{API}/namespaces/{namespace}/silenced/linux:*").status_code == 200

    url = f"{API}/namespaces/{namespace}/silenced"
    wrong = admin.put(f"{url}/foo:*", json={"subscription": "linux"})
    assert wrong.status_code == 400, wrong.text
    named = admin.put(f"{url}/linux:*", json={"metadata": {"name": "x:*"}, "subscription": "linux"})
    assert named.status_code == 400, named.text
    right = admin.put(f"{url}/linux:cpu", json={"subscription": "linux", "check": "cpu"})
    assert right.status_code == 201, right.text
    assert admin.get(f"{url}/linux:cpu").json()["check"] == "cpu"


def test_invalid_and_duplicate_silences(admin: httpx.Client, namespace: str) -> None:
    url = f"{API}/namespaces/{namespace}/silenced"
    assert admin.post(url, json={"subscription": "*", "check": "*"}).status_code == 400
    assert admin.post(url, json={}).status_code == 400
    assert admin.post(url, json={"check": "bad name"}).status_code == 400
    elsewhere = {"metadata": {"namespace": "elsewhere"}, "check": "cpu"}
    assert admin.post(url, json=elsewhere).status_code == 400
    silence(admin, namespace, check="cpu")
    assert admin.post(url, json={"check": "cpu"}).status_code == 409
    assert admin.delete(f"{url}/*:cpu").status_code == 204
    assert admin.delete(f"{url}/*:cpu").status_code == 404


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A server started with --max-silenced-expiry-time-allowed 86400."""
    settings = Settings(
        state_dir=str(tmp_path_factory.mktemp("limited")), max_silenced_expiry_time_allowed=86400
    )
    server = LiveServer(settings).start()
    with client_for(server.url, token_for(server.url)) as client:
        yield client
    server.stop()


@pytest.mark.parametrize(
    "body",
    [{"expire": 86401}, {"expire_at": int(time.time()) + 2 * 86400}, {"expire": -1}],
    ids=["expire", "expire_at", "no-expiry"],
)
def test_beyond_the_maximum_duration_is_400(limited: httpx.Client, body: dict[str, int]) -> None:
    url = f"{API}/namespaces/default/silenced"
    response = limited.post(url, json={"check": "cpu", **body})
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert "maximum duration" in message and "86400" in message
    assert limited.get(url).json() == []


def test_the_maximum_limits_duration_not_how_far_ahead(limited: httpx.Client) -> None:
    url = f"{API}/namespaces/default/silenced"
    begin = int(time.time()) + 60 * 86400
    ahead = limited.post(url, json={"check": "later", "begin": begin, "expire": HOUR})
    assert ahead.status_code == 201, ahead.text
    assert limited.get(f"{url}/*:later").json()["expire_at"] == begin + HOUR
    assert limited.delete(f"{url}/*:later").status_code == 204


def test_expired_silences_are_removed_by_the_periodic_job(
    admin: httpx.Client, namespace: str
) -> None:
    silence(admin, namespace, check="cpu", expire=1)
    silence(admin, namespace, check="mem", expire=600)
    url = f"{API}/namespaces/{namespace}/silenced"
    assert wait_for(lambda: admin.get(f"{url}/*:cpu").status_code == 404)
    assert [s["metadata"]["name"] for s in admin.get(url).json()] == ["*:mem"]
    assert send(admin, namespace)["is_silenced"] is False


def test_lookups_by_subscription_and_check(
    admin: httpx.Client, namespace: str, unique: Callable[[str], str]
) -> None:
    for body in (
        {"subscription": "linux"},
        {"subscription": "linux", "check": "cpu"},
        {"subscription": "linux2"},
        {"check": "cpu"},
    ):
        silence(admin, namespace, **body)
    url = f"{API}/namespaces/{namespace}/silenced"
    by_sub = admin.get(f"{url}/subscriptions/linux").json()
    assert sorted(s["metadata"]["name"] for s in by_sub) == ["linux:*", "linux:cpu"]
    by_check = admin.get(f"{url}/checks/cpu").json()
    assert sorted(s["metadata"]["name"] for s in by_check) == ["*:cpu", "linux:cpu"]
    across = admin.get(f"{API}/silenced/checks/cpu").json()
    assert {(s["metadata"]["namespace"], s["metadata"]["name"]) for s in across} >= {
        (namespace, "*:cpu"),
        (namespace, "linux:cpu"),
    }
