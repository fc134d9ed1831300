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
