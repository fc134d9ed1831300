"""/auth, /auth/test, /auth/token, /auth/logout and the login throttle, over HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.auth.conftest import PASSWORD, bearer, login
from vigil.auth.services import AuthServices
from vigil.store.sqlite import SQLiteStore

pytestmark = pytest.mark.anyio


async def test_login_returns_tokens_usable_on_the_api(client: httpx.AsyncClient) -> None:
    body = await login(client, "bob")
    assert set(body) == {"access_token", "expires_at", "refresh_token"}
    response = await client.get("/api/core/v2/users/bob", headers=bearer(body["access_token"]))
    assert response.status_code == 200
    assert response.json() == {"username": "bob", "groups": ["ops"], "disabled": False}


@pytest.mark.parametrize(
    ("headers", "auth", "message"),
    [
        ({}, None, "Request unauthorized"),
        ({"Authorization": "Bearer abc"}, None, "Request unauthorized"),
        ({"Authorization": "Basic %%%"}, None, "Unauthorized"),
        ({}, ("bob", "wrong-password"), "Unauthorized"),
        ({}, ("nobody", PASSWORD), "Unauthorized"),
        ({}, ("bob", ""), "Unauthorized"),
    ],
    ids=["no-header", "not-basic", "undecodable", "wrong-password", "unknown-user", "empty"],
)
async def test_login_failures(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    auth: tuple[str, str] | None,
    message: str,
) -> None:
    response = await client.get("/auth", headers=headers, auth=auth)
    assert response.status_code == 401
    assert response.json() == {"message": message, "code": 5}


async def test_auth_test_probe(client: httpx.AsyncClient) -> None:
    assert (await client.get("/auth/test", auth=("bob", PASSWORD))).status_code == 200
    wrong = await client.get("/auth/test", auth=("bob", "wrong-password"))
    assert wrong.status_code == 401
    assert wrong.json()["message"] == "Request unauthorized"


async def test_refresh_and_logout_over_http(client: httpx.AsyncClient) -> None:
    first = await login(client, "bob")
    refreshed = await client.post(
        "/auth/token",
        headers=bearer(first["access_token"]),
        json={"refresh_token": first["refresh_token"]},
    )
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]

    reused = await client.post(
        "/auth/token",
        headers=bearer(second["access_token"]),
        json={"refresh_token": first["refresh_token"]},
    )
    assert reused.status_code == 400
    assert reused.json()["message"] == "invalid access token"
    revoked = await client.get("/api/core/v2/users/bob", headers=bearer(second["access_token"]))
    assert revoked.status_code == 401

    third = await login(client, "bob")
    out = await client.post(
        "/auth/logout",
        headers=bearer(third["access_token"]),
        json={"refresh_token": third["refresh_token"]},
    )
    assert out.status_code == 200 and out.content == b""
    after = await client.get("/api/core/v2/users/bob", headers=bearer(third["access_token"]))
    assert after.status_code == 401
    assert after.json()["message"] == "invalid credentials"


async def test_refresh_request_errors(client: httpx.AsyncClient) -> None:
    tokens = await login(client, "bob")
    no_bearer = await client.post("/auth/token", json={"refresh_token": tokens["refresh_token"]})
    assert no_bearer.status_code == 401
    bad_body = await client.post(
        "/auth/token", headers=bearer(tokens["access_token"]), content=b"{nope"
    )
    assert bad_body.status_code == 400
    no_refresh = await client.post("/auth/token", headers=bearer(tokens["access_token"]), json={})
    assert no_refresh.status_code == 401


async def test_disabled_user_cannot_log_in_or_refresh(
    client: httpx.AsyncClient, services: AuthServices
) -> None:
    admin = bearer((await login(client, "admin"))["access_token"])
    bob = await login(client, "bob")
    assert (await client.delete("/api/core/v2/users/bob", headers=admin)).status_code == 204
    assert (await client.get("/auth", auth=("bob", PASSWORD))).status_code == 401
    refreshed = await client.post(
        "/auth/token",
        headers=bearer(bob["access_token"]),
        json={"refresh_token": bob["refresh_token"]},
    )
    assert refreshed.status_code == 401


async def test_throttle_locks_a_user_and_client_pair(
    client: httpx.AsyncClient, store: SQLiteStore, services: AuthServices
) -> None:
    for _ in range(3):  # settings: login_max_failures=3
        assert (await client.get("/auth", auth=("bob", "wrong-password"))).status_code == 401
    locked = await client.get("/auth", auth=("bob", PASSWORD))
    assert locked.status_code == 429
    assert (await client.get("/auth/test", auth=("bob", PASSWORD))).status_code == 429
    # the same user from another address, and other users from this one, are not affected
    await services.authenticator.check_password("bob", PASSWORD, "10.9.9.9")
    assert (await client.get("/auth", auth=("admin", PASSWORD))).status_code == 200


async def test_success_clears_failures(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        assert (await client.get("/auth", auth=("bob", "wrong-password"))).status_code == 401
    assert (await client.get("/auth", auth=("bob", PASSWORD))).status_code == 200
    for _ in range(2):
        assert (await client.get("/auth", auth=("bob", "wrong-password"))).status_code == 401
    assert (await client.get("/auth", auth=("bob", PASSWORD))).status_code == 200
