"""Users, tokens, API keys and RBAC together, through the real app and server."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.support import LiveServer, client_for

API = "/api/core/v2"


def test_user_lifecycle_through_the_app(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    name = unique("eve")
    created = admin.post(f"{API}/users", json={"username": name, "password": "eve-password"})
    assert created.status_code == 201, created.text

    login = httpx.get(f"{live.url}/auth", auth=(name, "eve-password"))
    assert login.status_code == 200, login.text
    with client_for(live.url, login.json()["access_token"]) as eve:
        assert eve.get(f"{API}/users/{name}").status_code == 200  # localselfuser
        assert eve.get(f"{API}/users").status_code == 403
        assert eve.get(f"{API}/namespaces/default/checks").status_code == 403
        changed = eve.put(
            f"{API}/users/{name}/change_password",
            json={"password": "eve-password", "password_new": "eve-password-2"},
        )
        assert changed.status_code == 201, changed.text
        assert eve.get(f"{API}/users/{name}").status_code == 200  # own session kept

        grant = admin.post(f"{API}/apikeys", json={"username": name})
        assert grant.status_code == 201, grant.text
        key = grant.headers["location"].rsplit("/", 1)[1]
        with client_for(live.url, Authorization=f"Key {key}") as by_key:
            # API-key identities do not get system:users, so not even self access (Sensu)
            assert by_key.get(f"{API}/users/{name}").status_code == 403
            assert admin.delete(f"{API}/apikeys/{key}").status_code == 204
            revoked = by_key.get(f"{API}/users/{name}")
            assert revoked.status_code == 401

        assert admin.delete(f"{API}/users/{name}").status_code == 204
        assert eve.get(f"{API}/users/{name}").status_code == 401
    assert admin.get(f"{API}/users/{name}").json()["disabled"] is True


def test_api_key_changes_hold_at_once_while_the_key_is_in_use(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    """What an API key resolves to is cached by the server: every change to the key or its
    user must still show on the very next request."""
    name = unique("kim")
    user = {"username": name, "password": "kim-password", "groups": ["cluster-admins"]}
    assert admin.post(f"{API}/users", json=user).status_code == 201
    key = admin.post(f"{API}/apikeys", json={"username": name}).headers["location"]
    checks = f"{API}/namespaces/default/checks"
    with client_for(live.url, Authorization=f"Key {key.rsplit('/', 1)[1]}") as by_key:

        def status() -> int:
            return by_key.get(checks).status_code

        assert [status(), status()] == [200, 200]  # in use, so kept
        assert admin.delete(f"{API}/users/{name}/groups/cluster-admins").status_code == 204
        assert status() == 403
        assert admin.put(f"{API}/users/{name}/groups/cluster-admins").status_code == 201
        assert status() == 200
        assert admin.delete(f"{API}/users/{name}").status_code == 204  # disables
        assert status() == 401
        assert admin.put(f"{API}/users/{name}/reinstate").status_code == 201
        assert status() == 200
        assert admin.delete(key).status_code == 204
        assert status() == 401
