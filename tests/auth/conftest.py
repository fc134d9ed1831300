"""A real SQLite store per test, users written straight into it (hashes made once: bcrypt
costs ~0.1-0.2 s per operation), and a small real app made of the auth/users/apikeys routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import cache

import httpx
import msgspec
import pytest

from vigil.api.context import Services
from vigil.app import build_services, create_app
from vigil.auth.passwords import hash_password_sync
from vigil.auth.services import AuthServices
from vigil.bootstrap import initialize_store
from vigil.model.rbac import ClusterRole, ClusterRoleBinding
from vigil.model.users import User
from vigil.settings import Settings
from vigil.store.objects import put_of
from vigil.store.sqlite import SQLiteStore

PASSWORD = "secret-password"


@cache
def password_hash(password: str = PASSWORD) -> str:
    return hash_password_sync(password)


@pytest.fixture
def settings() -> Settings:
    return Settings(login_max_failures=3, login_lockout=60.0)


async def add_user(
    store: SQLiteStore, username: str, groups: list[str] | None = None, disabled: bool = False
) -> None:
    user = User(
        username=username, password_hash=password_hash(), groups=groups or [], disabled=disabled
    )
    await store.apply([put_of(user)])


@pytest.fixture
async def app_services(store: SQLiteStore, settings: Settings) -> Services:
    """The real app's services over a store seeded as ``vigil init`` seeds it, plus bob."""
    await initialize_store(store, "admin", PASSWORD)
    await add_user(store, "bob", ["ops"])
    # Group ops may read its own users, so bob's API key (which, as in Sensu, carries only his
    # stored groups, not system:users) can read his own user as his login tokens can.
    reader = {
        "metadata": {"name": "self-reader"},
        "rules": [{"verbs": ["get"], "resources": ["localselfuser"]}],
    }
    binding = {"metadata": {"name": "ops-read-self"},
               "role_ref": {"type": "ClusterRole", "name": "self-reader"},
               "subjects": [{"type": "Group", "name": "ops"}]}  # fmt: skip
    await store.apply([put_of(msgspec.convert(reader, type=ClusterRole)),
                       put_of(msgspec.convert(binding, type=ClusterRoleBinding))])  # fmt: skip
    return build_services(settings, store)


@pytest.fixture
def services(app_services: Services) -> AuthServices:
    return app_services.auth


@pytest.fixture
async def client(
    store: SQLiteStore, settings: Settings, app_services: Services
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app (routes, middleware, authentication, RBAC) in process."""
    app = create_app(settings, store, app_services)
    transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://vigil.test") as c:
        yield c


async def login(
    client: httpx.AsyncClient, username: str = "admin", password: str = PASSWORD
) -> dict[str, str]:
    response = await client.get("/auth", auth=(username, password))
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
