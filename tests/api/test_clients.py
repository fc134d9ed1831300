"""What Sensu's own clients send and expect, through HTTP: ``null`` members, stored password
hashes, sessions that survive their owner's changes, entity patches."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.api.samples import body
from tests.support import LiveServer, client_for
from vigil.auth.passwords import hash_password_sync

API = "/api/core/v2"


def test_null_members_mean_not_given_at_any_depth(admin: httpx.Client, namespace: str) -> None:
    """What the Ansible ``check`` module sends for options it was not given."""
    check = body("checks", "nulls", namespace) | {
        "timeout": None,
        "ttl": None,
        "proxy_requests": {
            "entity_attributes": ["entity.entity_class == 'proxy'"],
            "splay": None,
            "splay_coverage": None,
        },
        "round_robin": None,
        "metadata": {"name": "nulls", "namespace": namespace, "labels": None},
    }
    url = f"{API}/namespaces/{namespace}/checks/nulls"
    created = admin.put(url, json=check)
    assert created.status_code == 201, created.text
    stored = admin.get(url).json()
    assert stored["timeout"] == 0 and stored["round_robin"] is False
    assert stored["proxy_requests"]["splay"] is False
    assert stored["proxy_requests"]["entity_attributes"] == ["entity.entity_class == 'proxy'"]
    # Every other body goes through the same decoding: an entity, a user, a top-level null.
    entity = {"metadata": {"name": "e-null", "annotations": None}, "entity_class": "proxy",
              "subscriptions": None, "deregistration": None}  # fmt: skip
    assert admin.put(f"{API}/namespaces/{namespace}/entities/e-null", json=entity).is_success
    bad = admin.put(url, content=b"null", headers={"content-type": "application/json"})
    assert bad.status_code == 400  # nothing given: the check has no command
    assert admin.get(url).json() == stored


def test_password_hash_is_stored_as_given(
    admin: httpx.Client, live: LiveServer, unique: Callable[[str], str]
) -> None:
    """Sensu stores it without a check (the Ansible ``user`` module compares it); a value that
    is not bcrypt simply never matches at login."""
    name = unique("hash")
    user = {"username": name, "password_hash": "not-a-bcrypt-hash", "groups": ["dev"]}
    assert admin.post(f"{API}/users", json=user).status_code == 201
    assert admin.put(f"{API}/users/{name}", json=user).status_code == 201
    assert httpx.get(f"{live.url}/auth", auth=(name, "not-a-bcrypt-hash")).status_code == 401
    good = {"username": name, "password_hash": hash_password_sync("P@ssw0rd!"), "groups": []}
    assert admin.put(f"{API}/users/{name}", json=good).status_code == 201
    assert httpx.get(f"{live.url}/auth", auth=(name, "P@ssw0rd!")).status_code == 200


def _login(live: LiveServer, name: str, password: str) -> httpx.Client:
    response = httpx.get(f"{live.url}/auth", auth=(name, password))
    assert response.status_code == 200, response.text
    return client_for(live.url, response.json()["access_token"])


def _refresh(live: LiveServer, client: httpx.Client, refresh_token: str) -> int:
    return client.post(f"{live.url}/auth/token", json={"refresh_token": refresh_token}).status_code


def test_own_password_and_group_changes_keep_the_callers_session(
    admin: httpx.Client, live: LiveServer, unique: Callable[[str], str]
) -> None:
    name = unique("self")
    user = {"username": name, "password": "first-password", "groups": ["ops", "dev"]}
    assert admin.post(f"{API}/users", json=user).status_code == 201
    binding = {
        "metadata": {"name": name},
        "role_ref": {"type": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"type": "User", "name": name}],
    }
    assert admin.post(f"{API}/clusterrolebindings", json=binding).status_code == 201
    login = httpx.get(f"{live.url}/auth", auth=(name, "first-password")).json()
    me = client_for(live.url, login["access_token"])
    other = _login(live, name, "first-password")
    # PUT /users/{me} with a new password (what the Ansible user module does)
    changed = me.put(f"{API}/users/{name}", json=user | {"password": "second-password"})
    assert changed.status_code == 201, changed.text
    assert me.get(f"{API}/users/{name}").status_code == 200
    assert other.get(f"{API}/users/{name}").status_code == 401  # other sessions end
    # PUT /users/{me}/password (sensuctl change-password)
    new_hash = hash_password_sync("third-password")
    body_ = {"password": "second-password", "password_hash": new_hash}
    assert me.put(f"{API}/users/{name}/password", json=body_).status_code == 201
    assert me.get(f"{API}/users/{name}").status_code == 200
    # removing a group from oneself
    assert me.delete(f"{API}/users/{name}/groups/dev").status_code == 204
    assert me.delete(f"{API}/users/{name}/groups").status_code == 204
    assert me.get(f"{API}/users/{name}").status_code == 200
    assert _refresh(live, me, login["refresh_token"]) == 200  # the refresh token survives too
    # an admin removing a group still ends that user's sessions
    mine = _login(live, name, "third-password")
    assert admin.put(f"{API}/users/{name}/groups/x").status_code == 201
    assert admin.delete(f"{API}/users/{name}/groups/x").status_code == 204
    assert mine.get(f"{API}/users/{name}").status_code == 401
    for client in (me, other, mine):
        client.close()


def test_entity_patch_keeps_its_own_subscription(admin: httpx.Client, namespace: str) -> None:
    url = f"{API}/namespaces/{namespace}/entities/web1"
    entity = {"metadata": {"name": "web1"}, "entity_class": "agent", "subscriptions": ["a"]}
    assert admin.put(url, json=entity).is_success
    patched = admin.patch(
        url,
        json={"subscriptions": ["z"]},
        headers={"content-type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    assert admin.get(url).json()["subscriptions"] == ["z", "entity:web1"]
