"""``/api/core/v2/users...``: create/replace, disable/reinstate, groups and passwords.

Beyond Sensu, for safety:
* Disabling a user ends all of their sessions, so their access tokens stop working at once
  (API keys stop too: authentication checks the user on every key request).
* A password change (``password``, ``change_password``, ``reset_password``, or a PUT with a
  different password) ends the user's *other* sessions: the caller's own session survives
  when users change their own password; API keys keep working (as in Sensu).
* Removing groups ends the user's *other* sessions: access tokens carry groups, and a removed
  group must not keep granting access until the token expires. The caller's own session
  survives when users change their own groups (its next refresh carries the new groups).
  Adding a group ends nothing.
* ``password_hash`` is stored as given (as in Sensu); one that is not bcrypt is logged and
  simply never matches at login.
* A wrong current password on ``password``/``change_password`` is **400** (Sensu: 500). It is
  the client's mistake, so not 5xx; 401 would make sensuctl and the web UI think their token
  expired and 403 would read as an RBAC refusal. Those checks go through the login throttle.
* Malformed JSON on the password routes is 400 (Sensu: 500).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from vigil.api.auth import auth_services, client_address
from vigil.api.context import services
from vigil.api.resources import agreed
from vigil.api.responses import empty
from vigil.auth.accounts import load_user
from vigil.auth.identity import Identity
from vigil.auth.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    is_bcrypt_hash,
    verify_password,
)
from vigil.errors import InvalidArgument, NotFound, PreconditionFailed
from vigil.model.base import decode
from vigil.model.users import User
from vigil.store.base import Store
from vigil.store.objects import put_of

log = logging.getLogger("vigil.api.users")


def store_of(request: Request) -> Store:
    return services(request).store


def caller_identity(request: Request) -> Identity | None:
    identity = request.scope.get("vigil.identity")
    return identity if isinstance(identity, Identity) else None


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(f"malformed JSON body: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidArgument("the request body must be a JSON object")
    return body


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key) or ""  # null = not given, as for every body
    if not isinstance(value, str):
        raise InvalidArgument(f"{key} must be a string")
    return value


async def _update(store: Store, username: str, change: Callable[[User], None]) -> User:
    """Read-modify-write of one user, retried when a concurrent write got there first."""
    for _ in range(3):
        loaded = await load_user(store, username)
        if loaded is None:
            raise NotFound()
        user, revision = loaded
        change(user)
        try:
            await store.apply([put_of(user, if_revision=revision)])
        except PreconditionFailed:
            continue
        return user
    raise PreconditionFailed(f"user {username} is being changed concurrently; try again")


def _keep_session(request: Request, username: str) -> str:
    caller = caller_identity(request)
    return caller.session_id if caller and caller.username == username else ""


async def _end_other_sessions(request: Request, username: str) -> None:
    auth = auth_services(request)
    await auth.tokens.revoke_user_sessions(username, keep_session=_keep_session(request, username))


# --- create and replace ---------------------------------------------------------------
async def _prepared(body: bytes, previous: User | None) -> User:
    """Decode, validate and hash: the stored form of a user sent by a client."""
    user = decode(User, body)
    if user.password and user.password_hash:
        await asyncio.to_thread(user.validate)  # compares the pair with bcrypt: off the loop
    else:
        user.validate()
    if user.password_hash and not user.password:
        _warn_unless_bcrypt(user.username, user.password_hash)
    if user.password and not user.password_hash:
        kept = previous.password_hash if previous else ""
        if kept and await verify_password(user.password, kept):
            user.password_hash = kept  # same password: keep the hash and the sessions
        else:
            user.password_hash = await hash_password(user.password)
    user.password = ""
    return user


async def _after_write(request: Request, user: User, previous: User | None) -> None:
    """Disabling ends every session; a new password or a lost group ends the user's other
    sessions (the caller's own survives: a client managing its own login stays logged in)."""
    changed_password = previous is not None and previous.password_hash != user.password_hash
    lost_groups = previous is not None and not set(previous.groups) <= set(user.groups)
    if user.disabled:
        await auth_services(request).tokens.revoke_user_sessions(user.username)
    elif changed_password or lost_groups:
        await _end_other_sessions(request, user.username)


async def create_user(request: Request) -> Response:
    """POST: 201, or 409 when the username is taken."""
    user = await _prepared(await request.body(), None)
    await store_of(request).apply([put_of(user, if_revision=0)])
    return empty(201)


async def replace_user(request: Request) -> Response:
    """PUT /users/{name}: create or replace; the body's username must be the URL's."""
    name = request.path_params["name"]
    store = store_of(request)
    loaded = await load_user(store, name)
    previous = loaded[0] if loaded else None
    user = await _prepared(await request.body(), previous)
    agreed(user.username, name, fill=False)
    revision = loaded[1] if loaded else 0
    await store.apply([put_of(user, if_revision=revision)])
    await _after_write(request, user, previous)
    return empty(201)


# --- disable, reinstate, groups -----------------------------------------------------------
async def disable_user(request: Request) -> Response:
    """DELETE /users/{name}: users are never deleted, only disabled (idempotent)."""
    name = request.path_params["name"]
    await _update(store_of(request), name, lambda u: setattr(u, "disabled", True))
    await auth_services(request).tokens.revoke_user_sessions(name)
    return empty(204)


async def reinstate_user(request: Request) -> Response:
    await _update(
        store_of(request), request.path_params["name"], lambda u: setattr(u, "disabled", False)
    )
    return empty(201)


async def add_group(request: Request) -> Response:
    group = request.path_params["group_name"]

    def add(user: User) -> None:
        if group not in user.groups:
            user.groups.append(group)

    await _update(store_of(request), request.path_params["name"], add)
    return empty(201)


async def remove_group(request: Request) -> Response:
    group = request.path_params["group_name"]
    name = request.path_params["name"]

    def remove(user: User) -> None:
        user.groups = [g for g in user.groups if g != group]

    await _update(store_of(request), name, remove)
    await _end_other_sessions(request, name)
    return empty(204)


async def remove_all_groups(request: Request) -> Response:
    name = request.path_params["name"]
    await _update(store_of(request), name, lambda u: setattr(u, "groups", []))
    await _end_other_sessions(request, name)
    return empty(204)


# --- passwords ----------------------------------------------------------------------------
async def _check_current(request: Request, user: User, password: str) -> None:
    """The current password, throttled like a login (a stolen token must not help guessing)."""
    auth = auth_services(request)
    client = client_address(request)
    await auth.throttle.check(user.username, client)
    if not await verify_password(password, user.password_hash):
        await auth.throttle.failed(user.username, client)
        raise InvalidArgument(f"wrong password for user {user.username}")
    await auth.throttle.succeeded(user.username, client)


async def _set_hash(request: Request, username: str, new_hash: str, expected: str) -> None:
    """Store ``new_hash`` unless the password changed since it was checked."""

    def change(user: User) -> None:
        if user.password_hash != expected:
            raise PreconditionFailed(f"the password of {username} changed meanwhile")
        user.password_hash = new_hash

    await _update(store_of(request), username, change)
    await _end_other_sessions(request, username)


async def _existing(request: Request) -> User:
    loaded = await load_user(store_of(request), request.path_params["name"])
    if loaded is None:
        raise NotFound()
    return loaded[0]


def _warn_unless_bcrypt(username: str, password_hash: str) -> None:
    """Stored as given, as Sensu does (clients compare what they sent with what they read);
    a hash that is not bcrypt simply never matches at login."""
    if not is_bcrypt_hash(password_hash):
        log.warning(
            "the password_hash given for user %s is not a bcrypt hash: no password "
            "will match it at login",
            username,
        )


def _bcrypt_hash(body: dict[str, Any], username: str) -> str:
    """The new ``password_hash`` a client (sensuctl) computed; an empty one is refused."""
    new_hash = _text(body, "password_hash")
    if not new_hash:
        raise InvalidArgument("password_hash is required")
    _warn_unless_bcrypt(username, new_hash)
    return new_hash


async def update_password(request: Request) -> Response:
    """PUT /users/{name}/password (sensuctl): current clear text + bcrypt of the new one."""
    body = await _body(request)
    user = await _existing(request)
    new_hash = _bcrypt_hash(body, user.username)
    await _check_current(request, user, _text(body, "password"))
    await _set_hash(request, user.username, new_hash, user.password_hash)
    return empty(201)


async def change_password(request: Request) -> Response:
    """PUT /users/{name}/change_password (web UI): current and new password in clear text."""
    body = await _body(request)
    user = await _existing(request)
    new_password = _text(body, "password_new")
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise InvalidArgument(f"password length must be at least {MIN_PASSWORD_LENGTH} characters")
    await _check_current(request, user, _text(body, "password"))
    new_hash = await hash_password(new_password)
    await _set_hash(request, user.username, new_hash, user.password_hash)
    return empty(201)


async def reset_password(request: Request) -> Response:
    """PUT /users/{name}/reset_password (admin): a new bcrypt hash, no current password."""
    body = await _body(request)
    user = await _existing(request)
    new_hash = _bcrypt_hash(body, user.username)
    await _set_hash(request, user.username, new_hash, user.password_hash)
    return empty(201)
