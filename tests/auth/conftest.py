"""A real SQLite store per test, users written straight into it (hashes made once: bcrypt
costs ~0.1-0.2 s per operation), and a small real app made of the auth/users/apikeys routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import cache

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from vigil.api import apikeys, auth, users
from vigil.api.responses import error_response
from vigil.auth.accounts import stored_user
from vigil.auth.passwords import hash_password_sync
from vigil.auth.services import AuthServices, build_auth
from vigil.errors import Unauthenticated, VigilError
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
    user = stored_user(username, password_hash(), groups or [], disabled)
    await store.apply([put_of(user)])


@pytest.fixture
async def services(store: SQLiteStore, settings: Settings) -> AuthServices:
    await add_user(store, "admin", ["cluster-admins"])
    await add_user(store, "bob", ["ops"])
    return build_auth(store, settings)


class Authenticate:
    """Stands in for the app's dispatcher: who is calling, for the /api routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            services: AuthServices = scope["app"].state.auth
            header = Request(scope).headers.get("authorization")
            try:
                scope["vigil.identity"] = await services.authenticator.authenticate(header)
            except Unauthenticated as exc:
                await error_response(exc)(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _vigil_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, VigilError)
    return error_response(exc)


def make_app(store: SQLiteStore, settings: Settings, services: AuthServices) -> Starlette:
    from starlette.middleware import Middleware

    app = Starlette(
        routes=[*auth.routes, *users.routes, *apikeys.routes],
        middleware=[Middleware(Authenticate)],
        exception_handlers={VigilError: _vigil_error},
    )
    app.state.store = store
    app.state.settings = settings
    app.state.auth = services
    return app


@pytest.fixture
async def client(
    store: SQLiteStore, settings: Settings, services: AuthServices
) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app(store, settings, services)
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
