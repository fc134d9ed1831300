"""Generic CRUD through the real server for every core/v2 type (issue: foundation)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.api.samples import CLUSTER_WIDE, NAMESPACED, body

API = "/api/core/v2"


def _collection(kind: str, namespace: str | None) -> str:
    return f"{API}/namespaces/{namespace}/{kind}" if namespace else f"{API}/{kind}"


@pytest.mark.parametrize("kind", NAMESPACED + CLUSTER_WIDE)
def test_crud_cycle(
    admin: httpx.Client, namespace: str, unique: Callable[[str], str], kind: str
) -> None:
    ns = namespace if kind in NAMESPACED else None
    name = unique(kind[:5])
    coll = _collection(kind, ns)
    item = f"{coll}/{name}"
    doc = body(kind, name, ns)

    created = admin.post(coll, json=doc)
    assert created.status_code in (200, 201), created.text
    assert created.headers["content-type"].startswith("application/json")
    again = admin.post(coll, json=doc)
    assert again.status_code == 409, again.text
    assert again.json()["code"] == 3

    got = admin.get(item)
    assert got.status_code == 200, got.text
    assert got.headers.get("etag")
    assert got.json()["metadata"]["name"] == name
    assert got.json()["metadata"]["created_by"] == "admin"
    assert got.json()["metadata"]["labels"] == {"team": "ops"}

    doc["metadata"]["labels"] = {"team": "dev"}
    replaced = admin.put(item, json=doc)
    assert replaced.status_code in (200, 201), replaced.text
    assert admin.get(item).json()["metadata"]["labels"] == {"team": "dev"}

    listed = admin.get(coll)
    assert listed.status_code == 200
    assert name in [x["metadata"]["name"] for x in listed.json()]
    if ns:
        across = admin.get(f"{API}/{kind}")
        assert across.status_code == 200
        assert (ns, name) in [
            (x["metadata"].get("namespace"), x["metadata"]["name"]) for x in across.json()
        ]

    assert admin.delete(item).status_code == 204
    assert admin.get(item).status_code == 404
    missing = admin.delete(item)
    assert missing.status_code == 404
    assert missing.json()["code"] == 2


def test_put_creates(admin: httpx.Client, namespace: str) -> None:
    item = f"{API}/namespaces/{namespace}/checks/fresh"
    assert admin.put(item, json=body("checks", "fresh", namespace)).status_code == 201
    assert admin.get(item).status_code == 200


def test_namespace_filled_from_url_when_missing(admin: httpx.Client, namespace: str) -> None:
    doc = body("checks", "nsless", None)
    assert admin.post(f"{API}/namespaces/{namespace}/checks", json=doc).status_code == 201
    got = admin.get(f"{API}/namespaces/{namespace}/checks/nsless").json()
    assert got["metadata"]["namespace"] == namespace


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("namespace", "other", "does not match the namespace of the URI"),
        ("name", "other", "does not match the name of the URI"),
    ],
)
def test_body_contradicting_url_is_400(
    admin: httpx.Client, namespace: str, field: str, value: str, message: str
) -> None:
    doc = body("checks", "c1", namespace)
    doc["metadata"][field] = value
    response = admin.put(f"{API}/namespaces/{namespace}/checks/c1", json=doc)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert admin.get(f"{API}/namespaces/{namespace}/checks/c1").status_code == 404
    assert admin.get(f"{API}/namespaces/other/checks/other").status_code == 404


def test_check_json_shape(admin: httpx.Client, namespace: str) -> None:
    """Sensu renders zero values and empty lists; unknown input fields are ignored."""
    doc = {
        "metadata": {"name": "disk", "namespace": namespace},
        "command": "check-disk",
        "interval": 30,
        "subscriptions": ["linux"],
        "publish": True,
        "bogus": 1,
    }
    assert admin.post(f"{API}/namespaces/{namespace}/checks", json=doc).status_code == 201
    got = admin.get(f"{API}/namespaces/{namespace}/checks/disk").json()
    assert got["handlers"] == []
    assert got["ttl"] == 0
    assert got["stdin"] is False
    assert "bogus" not in got
    assert got["metadata"] == {"name": "disk", "namespace": namespace, "created_by": "admin"}


@pytest.mark.parametrize(
    "doc,fragment",
    [
        ({"command": "x", "interval": 0}, "interval"),
        ({"command": "x", "interval": 10, "cron": "* * * * *"}, "interval or a cron"),
        ({"command": "x", "cron": "not a cron"}, "cron"),
        ({"command": "x", "interval": 10, "ttl": 5}, "ttl"),
        (
            {"command": "x", "interval": 10, "low_flap_threshold": 50, "high_flap_threshold": 10},
            "flap",
        ),
        ({"command": "x", "interval": "often"}, "interval"),
    ],
)
def test_check_validation_is_400(
    admin: httpx.Client, namespace: str, doc: dict[str, object], fragment: str
) -> None:
    doc = {"metadata": {"name": "bad", "namespace": namespace}, **doc}
    response = admin.post(f"{API}/namespaces/{namespace}/checks", json=doc)
    assert response.status_code == 400, response.text
    assert fragment in response.json()["message"]
    assert response.json()["code"] == 1
    assert admin.get(f"{API}/namespaces/{namespace}/checks/bad").status_code == 404


@pytest.mark.parametrize(
    "kind,doc,fragment",
    [
        ("handlers", {"type": "smoke"}, "unknown handler type"),
        ("handlers", {"type": "pipe"}, "missing command"),
        ("handlers", {"type": "tcp"}, "socket"),
        ("handlers", {}, "handler type"),
        ("filters", {"action": "maybe", "expressions": ["true"]}, "action"),
        ("filters", {"action": "allow", "expressions": []}, "expression"),
        ("hooks", {"command": "x", "timeout": 0}, "timeout"),
        ("mutators", {}, "command"),
        ("assets", {"url": "https://x", "sha512": "short"}, "sha-512"),
        ("roles", {"rules": [{"verbs": ["fly"], "resources": ["checks"]}]}, "verb"),
        ("rolebindings", {"role_ref": {"type": "Role", "name": "r"}, "subjects": []}, "subject"),
    ],
)
def test_type_validation_is_400(
    admin: httpx.Client, namespace: str, kind: str, doc: dict[str, object], fragment: str
) -> None:
    doc = {"metadata": {"name": "bad", "namespace": namespace}, **doc}
    response = admin.post(f"{API}/namespaces/{namespace}/{kind}", json=doc)
    assert response.status_code == 400, response.text
    assert fragment in response.json()["message"].lower()
    assert admin.get(f"{API}/namespaces/{namespace}/{kind}/bad").status_code == 404


@pytest.mark.parametrize("name", ["has space", "semi;colon", "ümlaut!"])
def test_invalid_names_are_400(admin: httpx.Client, namespace: str, name: str) -> None:
    doc = body("checks", name, namespace)
    response = admin.post(f"{API}/namespaces/{namespace}/checks", json=doc)
    assert response.status_code == 400
    assert "name" in response.json()["message"]


def test_malformed_json_is_400(admin: httpx.Client, namespace: str) -> None:
    response = admin.post(
        f"{API}/namespaces/{namespace}/checks",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/core/v2/widgets",
        "/api/core/v3/checks",
        "/api/nope/v2/checks",
        "/api/core/v2/namespaces/default/widgets/x",
        "/api/core/v2/checks/",
        "/nothing",
        "/api/core/v2/namespaces/default/namespaces",
    ],
)
def test_unknown_routes_are_json_404(admin: httpx.Client, path: str) -> None:
    response = admin.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == 2


def test_reads_in_a_missing_namespace_answer_like_sensu_writes_are_404(
    admin: httpx.Client,
) -> None:
    """Sensu has no existence check on reads: a list is ``200 []``, an item 404."""
    for kind in ("checks", "entities", "events", "silenced", "roles"):
        listed = admin.get(f"{API}/namespaces/nowhere/{kind}")
        assert listed.status_code == 200, listed.text
        assert listed.json() == []
    assert admin.get(f"{API}/namespaces/nowhere/events/web1").json() == []
    assert admin.get(f"{API}/namespaces/nowhere/checks/x").status_code == 404
    for response in (
        admin.post(f"{API}/namespaces/nowhere/checks", json=body("checks", "x", "nowhere")),
        admin.put(f"{API}/namespaces/nowhere/checks/x", json=body("checks", "x", "nowhere")),
        admin.delete(f"{API}/namespaces/nowhere/checks/x"),
    ):
        assert response.status_code == 404, response.text
        assert "nowhere" in response.json()["message"]
    assert admin.get(f"{API}/namespaces/nowhere/checks").json() == []  # nothing was written


def test_wrong_method_is_405(admin: httpx.Client) -> None:
    response = admin.post(f"{API}/namespaces/default/checks/x", json={})
    assert response.status_code == 405
    assert admin.post(f"{API}/checks", json={}).status_code == 405


def test_request_limit_is_413_and_changes_nothing(admin: httpx.Client, namespace: str) -> None:
    doc = body("checks", "huge", namespace)
    doc["command"] = "x" * 600_000
    response = admin.post(f"{API}/namespaces/{namespace}/checks", json=doc)
    assert response.status_code == 413
    assert "512000" in response.json()["message"]
    assert admin.get(f"{API}/namespaces/{namespace}/checks/huge").status_code == 404


def test_request_limit_on_chunked_body(admin: httpx.Client, namespace: str) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"metadata": {"name": "chunky"}, "command": "'
        for _ in range(70):
            yield b"x" * 10_000
        yield b'", "interval": 10}'

    response = admin.post(f"{API}/namespaces/{namespace}/checks", content=chunks())
    assert response.status_code == 413
    assert admin.get(f"{API}/namespaces/{namespace}/checks/chunky").status_code == 404


def test_nul_characters_are_stored_exactly(admin: httpx.Client, namespace: str) -> None:
    """PostgreSQL's JSONB cannot hold NUL; the resource itself must still round-trip."""
    doc = body("checks", "nul", namespace)
    doc["metadata"]["labels"] = {"k\u0000": "v\u0000"}
    doc["subscriptions"] = ["a\u0000b"]
    assert admin.post(f"{API}/namespaces/{namespace}/checks", json=doc).status_code == 201
    got = admin.get(f"{API}/namespaces/{namespace}/checks/nul").json()
    assert got["metadata"]["labels"] == {"k\u0000": "v\u0000"}
    assert got["subscriptions"] == ["a\u0000b"]
    assert admin.get(f"{API}/namespaces/%00/checks").status_code == 404
