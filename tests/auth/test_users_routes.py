"""/api/core/v2/users... and API key grants over HTTP, with the effects on credentials."""

from __future__ import annotations

import httpx
import pytest

from tests.auth.conftest import PASSWORD, bearer, login, password_hash
from vigil.auth.accounts import load_user
from vigil.auth.services import AuthServices
from vigil.store.sqlite import SQLiteStore

pytestmark = pytest.mark.anyio

USERS = "/api/core/v2/users"


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer((await login(client, "admin"))["access_token"])


async def _grant_key(client: httpx.AsyncClient, admin: dict[str, str], username: str) -> str:
    response = await client.post("/api/core/v2/apikeys", headers=admin, json={"username": username})
    assert response.status_code == 201, response.text
    assert response.content == b""
    location = response.headers["location"]
    assert location.startswith("/api/core/v2/apikeys/")
    return location.rsplit("/", 1)[1]


async def test_create_get_list_never_show_password_material(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    new = {"username": "carol", "password": "carol-password", "groups": ["dev"]}
    assert (await client.post(USERS, headers=admin, json=new)).status_code == 201
    again = await client.post(USERS, headers=admin, json=new)
    assert again.status_code == 409 and again.json()["code"] == 3
    got = await client.get(f"{USERS}/carol", headers=admin)
    assert got.json() == {"username": "carol", "groups": ["dev"], "disabled": False}
    listed = await client.get(USERS, headers=admin)
    assert [u["username"] for u in listed.json()] == ["admin", "agent", "bob", "carol"]
    assert "password" not in listed.text and "$2" not in listed.text
    assert (await client.get("/auth/test", auth=("carol", "carol-password"))).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"username": "Dave", "password": "long-enough"},
         "username cannot contain spaces or special characters"),
        ({"username": "dave", "password": "short"},
         "password length must be at least 8 characters"),
        ({"username": "dave"}, "a password or its hash is required"),
    ],
    ids=["bad-name", "short-password", "no-password"],
)  # fmt: skip
async def test_create_validation(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, str], message: str
) -> None:
    response = await client.post(USERS, headers=admin, json=body)
    assert response.status_code == 400
    assert response.json() == {"message": message, "code": 1}


async def test_put_creates_replaces_and_checks_the_name(
    client: httpx.AsyncClient, admin: dict[str, str], store: SQLiteStore
) -> None:
    body = {"username": "dave", "password_hash": password_hash(), "groups": ["a"]}
    assert (await client.put(f"{USERS}/dave", headers=admin, json=body)).status_code == 201
    body["groups"] = ["b"]
    assert (await client.put(f"{USERS}/dave", headers=admin, json=body)).status_code == 201
    loaded = await load_user(store, "dave")
    assert loaded is not None and loaded[0].groups == ["b"]
    mismatch = await client.put(f"{USERS}/erin", headers=admin, json=body)
    assert mismatch.status_code == 400
    assert "does not match the name of the URI" in mismatch.json()["message"]


async def test_disable_stops_tokens_and_keys_at_once_and_reinstate_restores_keys(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    bob = bearer((await login(client, "bob"))["access_token"])
    key = {"Authorization": f"Key {await _grant_key(client, admin, 'bob')}"}
    for credentials in (bob, key):
        assert (await client.get(f"{USERS}/bob", headers=credentials)).status_code == 200
    assert (await client.delete(f"{USERS}/bob", headers=admin)).status_code == 204
    assert (await client.delete(f"{USERS}/bob", headers=admin)).status_code == 204  # idempotent
    for credentials in (bob, key):
        assert (await client.get(f"{USERS}/bob", headers=credentials)).status_code == 401
    got = await client.get(f"{USERS}/bob", headers=admin)
    assert got.json()["disabled"] is True
    assert (await client.put(f"{USERS}/bob/reinstate", headers=admin)).status_code == 201
    assert (await client.get(f"{USERS}/bob", headers=key)).status_code == 200
    assert (await client.get(f"{USERS}/bob", headers=bob)).status_code == 401  # session ended
    assert (await client.delete(f"{USERS}/nobody", headers=admin)).status_code == 404


async def test_groups(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    bob = bearer((await login(client, "bob"))["access_token"])
    for _ in range(2):  # idempotent
        added = await client.put(f"{USERS}/bob/groups/dev", headers=admin)
        assert added.status_code == 201
    got = await client.get(f"{USERS}/bob", headers=admin)
    assert got.json()["groups"] == ["ops", "dev"]
    assert (await client.get(f"{USERS}/bob", headers=bob)).status_code == 200  # adding: kept
    assert (await client.delete(f"{USERS}/bob/groups/ops", headers=admin)).status_code == 204
    assert (await client.get(f"{USERS}/bob", headers=bob)).status_code == 401  # removing: ended
    assert (await client.get(f"{USERS}/bob", headers=admin)).json()["groups"] == ["dev"]
    assert (await client.delete(f"{USERS}/bob/groups", headers=admin)).status_code == 204
    cleared = (await client.get(f"{USERS}/bob", headers=admin)).json()
    assert cleared.get("groups", []) == []  # empty groups are omitted, as in Sensu
    assert (await client.put(f"{USERS}/nobody/groups/x", headers=admin)).status_code == 404


async def test_change_password_keeps_own_session_and_api_keys(
    client: httpx.AsyncClient, admin: dict[str, str], services: AuthServices
) -> None:
    key = {"Authorization": f"Key {await _grant_key(client, admin, 'bob')}"}
    mine = bearer((await login(client, "bob"))["access_token"])
    other = bearer((await login(client, "bob"))["access_token"])
    wrong = await client.put(
        f"{USERS}/bob/change_password",
        headers=mine,
        json={"password": "not-the-password", "password_new": "new-password"},
    )
    assert wrong.status_code == 400
    assert wrong.json()["message"] == "wrong password for user bob"
    short = await client.put(
        f"{USERS}/bob/change_password",
        headers=mine,
        json={"password": PASSWORD, "password_new": "short"},
    )
    assert short.status_code == 400
    changed = await client.put(
        f"{USERS}/bob/change_password",
        headers=mine,
        json={"password": PASSWORD, "password_new": "new-password"},
    )
    assert changed.status_code == 201, changed.text
    assert (await client.get(f"{USERS}/bob", headers=mine)).status_code == 200
    assert (await client.get(f"{USERS}/bob", headers=other)).status_code == 401
    assert (await client.get(f"{USERS}/bob", headers=key)).status_code == 200
    assert (await client.get("/auth/test", auth=("bob", "new-password"))).status_code == 200
    assert (await client.get("/auth/test", auth=("bob", PASSWORD))).status_code == 401


async def test_password_with_client_side_hash_and_admin_reset(
    client: httpx.AsyncClient, admin: dict[str, str], store: SQLiteStore
) -> None:
    bob = bearer((await login(client, "bob"))["access_token"])
    new_hash = password_hash("sensuctl-password")
    wrong = await client.put(
        f"{USERS}/bob/password",
        headers=bob,
        json={"username": "bob", "password": "wrong-password", "password_hash": new_hash},
    )
    assert wrong.status_code == 400
    changed = await client.put(
        f"{USERS}/bob/password",
        headers=bob,
        json={"username": "bob", "password": PASSWORD, "password_hash": new_hash},
    )
    assert changed.status_code == 201
    loaded = await load_user(store, "bob")
    assert loaded is not None and loaded[0].password_hash == new_hash

    reset = await client.put(
        f"{USERS}/bob/reset_password",
        headers=admin,
        json={"username": "bob", "password_hash": password_hash()},
    )
    assert reset.status_code == 201
    assert (await client.get(f"{USERS}/bob", headers=bob)).status_code == 401  # admin reset
    bad = await client.put(f"{USERS}/bob/reset_password", headers=admin, json={"password_hash": ""})
    assert bad.status_code == 400
    malformed = await client.put(f"{USERS}/bob/reset_password", headers=admin, content=b"{")
    assert malformed.status_code == 400


async def test_api_keys(
    client: httpx.AsyncClient, admin: dict[str, str], store: SQLiteStore
) -> None:
    missing = await client.post("/api/core/v2/apikeys", headers=admin, json={"username": "zed"})
    assert missing.status_code == 400
    assert missing.json() == {"message": "user does not exist", "code": 1}
    key = await _grant_key(client, admin, "bob")
    stored = await store.get("apikeys", "", key)
    assert stored is not None
    assert b'"created_by":"admin"' in stored.value and b'"username":"bob"' in stored.value

    identity = await client.get(f"{USERS}/bob", headers={"Authorization": f"Key {key}"})
    assert identity.status_code == 200
    deleted = await client.delete(f"/api/core/v2/apikeys/{key}", headers=admin)
    assert deleted.status_code == 204  # and the key stops working at once (not after a ttl)
    assert await store.get("apikeys", "", key) is None
    revoked = await client.get(f"{USERS}/bob", headers={"Authorization": f"Key {key}"})
    assert revoked.status_code == 401
    assert revoked.json()["message"] == "invalid credentials"


async def test_api_key_identity_has_stored_groups_only(
    client: httpx.AsyncClient, admin: dict[str, str], services: AuthServices
) -> None:
    key = await _grant_key(client, admin, "bob")
    identity = await services.authenticator.authenticate(f"Key {key}")
    assert (identity.username, identity.groups, identity.api_key) == ("bob", ("ops",), True)
