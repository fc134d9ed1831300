"""Every route family x the default roles x own/other namespace: allowed or 403, and a
refused request changes nothing (issue: authentication and RBAC)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import LiveServer, client_for, token_for

API = "/api/core/v2"
OWN, OTHER = "rbac-own", "rbac-other"
PASSWORD = "P@ssw0rd!"
USERS = ["cadmin", "admin", "edit", "view", "nobody"]  # role keys; logins are "rb-<key>"
VIEWABLE = {
    "assets",
    "checks",
    "entities",
    "events",
    "filters",
    "handlers",
    "hooks",
    "mutators",
    "silenced",
}
EDITABLE = VIEWABLE
ADMINABLE = VIEWABLE | {"roles", "rolebindings"}
KINDS = [
    "checks",
    "handlers",
    "assets",
    "entities",
    "events",
    "silenced",
    "roles",
    "rolebindings",
    "pipelines",
]


def allowed(user: str, kind: str, namespace: str, verb: str) -> bool:
    """The default cluster roles of `sensu-backend init` (spec §7.1), bound in OWN only."""
    if user == "cadmin":
        return True
    if namespace != OWN:
        return False
    if user == "admin":
        return kind in ADMINABLE
    if user == "edit":
        return kind in EDITABLE
    if user == "view":
        return kind in VIEWABLE and verb in ("get", "list")
    return False


@pytest.fixture(scope="module")
def clients(live: LiveServer, admin_token: str) -> Iterator[dict[str, httpx.Client]]:
    root = client_for(live.url, admin_token)
    for ns in (OWN, OTHER):
        assert root.post(f"{API}/namespaces", json={"name": ns}).status_code == 201
    for user in USERS:
        groups = ["cluster-admins"] if user == "cadmin" else []
        doc = {"username": f"rb-{user}", "password": PASSWORD, "groups": groups}
        assert root.post(f"{API}/users", json=doc).status_code == 201
        if user in ("admin", "edit", "view"):
            binding = {
                "metadata": {"name": f"{user}-binding", "namespace": OWN},
                "role_ref": {"type": "ClusterRole", "name": user},
                "subjects": [{"type": "User", "name": f"rb-{user}"}],
            }
            assert (
                root.post(f"{API}/namespaces/{OWN}/rolebindings", json=binding).status_code == 201
            )
    out = {u: client_for(live.url, token_for(live.url, f"rb-{u}", PASSWORD)) for u in USERS}
    out["root"] = root
    yield out
    for client in out.values():
        client.close()


def sample(kind: str, name: str, ns: str) -> tuple[str, str, dict[str, Any]]:
    """(collection path, item path, body) of one resource."""
    coll = f"{API}/namespaces/{ns}/{kind}"
    meta = {"name": name, "namespace": ns, "labels": {"v": "1"}}
    if kind == "events":
        doc = {
            "entity": {"entity_class": "proxy", "metadata": {"name": name, "namespace": ns}},
            "check": {"metadata": {"name": "c", "namespace": ns}, "status": 0, "interval": 60},
        }
        return coll, f"{coll}/{name}/c", doc
    if kind == "silenced":
        doc = {
            "metadata": {"namespace": ns, "labels": {"v": "1"}},
            "subscription": name,
            "check": "c",
        }
        return coll, f"{coll}/{name}:c", doc
    bodies: dict[str, dict[str, Any]] = {
        "checks": {"command": "true", "interval": 60},
        "handlers": {"type": "pipe", "command": "cat"},
        "assets": {"url": "https://example.com/a.tgz", "sha512": "a" * 128},
        "entities": {"entity_class": "proxy"},
        "roles": {"rules": [{"verbs": ["get"], "resources": ["checks"]}]},
        "rolebindings": {
            "role_ref": {"type": "Role", "name": "x"},
            "subjects": [{"type": "User", "name": "x"}],
        },
        "pipelines": {
            "workflows": [
                {"name": "w", "handler": {"name": "h", "type": "Handler", "api_version": "core/v2"}}
            ]
        },
    }
    return coll, f"{coll}/{name}", {"metadata": meta, **bodies[kind]}


def marked(kind: str, doc: dict[str, Any], value: str) -> dict[str, Any]:
    """A copy of ``doc`` carrying ``value`` where an update can be seen."""
    if kind == "events":
        return {**doc, "check": {**doc["check"], "output": value}}
    return {**doc, "metadata": {**doc["metadata"], "labels": {"v": value}}}


def marker(kind: str, got: dict[str, Any]) -> str:
    if kind == "events":
        return str(got["check"].get("output") or "1")
    return str(got["metadata"]["labels"]["v"])


def expect(response: httpx.Response, ok: bool) -> None:
    if ok:
        assert 200 <= response.status_code < 300, response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == 4


CASES = [(u, k, ns) for u in USERS for k in KINDS for ns in (OWN, OTHER)]


@pytest.mark.parametrize("user,kind,ns", CASES, ids=[f"{u}-{k}-{n}" for u, k, n in CASES])
def test_namespaced_routes(clients: dict[str, httpx.Client], user: str, kind: str, ns: str) -> None:
    client, root = clients[user], clients["root"]
    name = f"{user}-{kind}"
    coll, item, doc = sample(kind, name, ns)

    def allow(verb: str) -> bool:
        return allowed(user, kind, ns, verb)

    created = client.post(coll, json=doc)
    expect(created, allow("create"))
    if not allow("create"):
        assert root.get(item).status_code == 404
        assert root.post(coll, json=doc).status_code in (200, 201)

    expect(client.get(item), allow("get"))
    expect(client.get(coll), allow("list"))

    expect(client.put(item, json=marked(kind, doc, "2")), allow("update"))
    current = marker(kind, root.get(item).json())
    assert current == ("2" if allow("update") else "1")

    if kind not in ("events", "silenced"):
        patched = client.patch(
            item,
            json={"metadata": {"labels": {"v": "3"}}},
            headers={"Content-Type": "application/merge-patch+json"},
        )
        expect(patched, allow("update"))
        assert marker(kind, root.get(item).json()) == ("3" if allow("update") else current)

    expect(client.delete(item), allow("delete"))
    assert root.get(item).status_code == (404 if allow("delete") else 200)
    if not allow("delete"):
        assert root.delete(item).status_code == 204


CLUSTER_ROUTES = [
    ("GET", f"{API}/checks", None),
    ("GET", f"{API}/events", None),
    ("GET", f"{API}/clusterroles", None),
    ("GET", f"{API}/clusterrolebindings/cluster-admin", None),
    ("GET", f"{API}/users", None),
    ("GET", f"{API}/apikeys", None),
    ("GET", f"{API}/users/agent", None),
]


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("method,path,doc", CLUSTER_ROUTES, ids=[p for _, p, _ in CLUSTER_ROUTES])
def test_cluster_reads_need_cluster_bindings(
    clients: dict[str, httpx.Client], user: str, method: str, path: str, doc: Any
) -> None:
    expect(clients[user].request(method, path, json=doc), user == "cadmin")


@pytest.mark.parametrize("user", USERS)
def test_cluster_writes_need_cluster_bindings(clients: dict[str, httpx.Client], user: str) -> None:
    client, root = clients[user], clients["root"]
    ok = user == "cadmin"
    role = {
        "metadata": {"name": f"cr-{user}"},
        "rules": [{"verbs": ["get"], "resources": ["checks"]}],
    }
    expect(client.post(f"{API}/clusterroles", json=role), ok)
    assert root.get(f"{API}/clusterroles/cr-{user}").status_code == (200 if ok else 404)
    expect(client.post(f"{API}/namespaces", json={"name": f"ns-{user}"}), ok)
    assert root.get(f"{API}/namespaces/ns-{user}").status_code == (200 if ok else 404)
    keys_before = len(root.get(f"{API}/apikeys").json())
    expect(client.post(f"{API}/apikeys", json={"username": f"rb-{user}"}), ok)
    assert len(root.get(f"{API}/apikeys").json()) == keys_before + (1 if ok else 0)
    expect(client.put(f"{API}/users/agent/groups/ops"), ok)
    assert ("ops" in root.get(f"{API}/users/agent").json().get("groups", [])) == ok
    root.delete(f"{API}/users/agent/groups/ops")


@pytest.mark.parametrize("user", USERS)
def test_everyone_reads_own_user(clients: dict[str, httpx.Client], user: str) -> None:
    response = clients[user].get(f"{API}/users/rb-{user}")
    assert response.status_code == 200
    assert response.json()["username"] == f"rb-{user}"
    assert "password" not in response.text and "password_hash" not in response.text


@pytest.mark.parametrize(
    "user,visible",
    [
        ("cadmin", {OWN, OTHER, "default"}),
        ("admin", {OWN}),
        ("edit", {OWN}),
        ("view", {OWN}),
        ("nobody", set()),
    ],
)
def test_namespace_list_shows_what_the_user_may_see(
    clients: dict[str, httpx.Client], user: str, visible: set[str]
) -> None:
    response = clients[user].get(f"{API}/namespaces")
    assert response.status_code == 200
    names = {n["name"] for n in response.json()}
    assert visible <= names if user == "cadmin" else names == visible
