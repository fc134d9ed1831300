"""``vigil init``: seed exactly what ``sensu-backend init`` seeds, once."""

from __future__ import annotations

from typing import Any

from vigil.errors import AlreadyExists, Unavailable, VigilError
from vigil.settings import Settings
from vigil.store.base import Op, Put, Store

INITIALIZED = ("_config", "", "initialized")


class AlreadyInitialized(VigilError):
    status = 409
    code = 3
    default_message = "the store is already initialized"


def seed_ops(
    admin_username: str, admin_password: str, api_key: str | None, agent_password: str | None
) -> list[Op]:
    """Admin and agent users, namespace ``default`` (+ its system:pipeline role and binding),
    the default cluster roles and bindings, an optional admin API key, the JWT secret."""
    from vigil.rbac.defaults import AGENT_PASSWORD, init_objects, to_ops

    objects = init_objects(
        admin_username, admin_password, api_key, agent_password=agent_password or AGENT_PASSWORD
    )
    return list(to_ops(objects))


async def initialize_store(
    store: Store,
    admin_username: str,
    admin_password: str,
    api_key: str | None = None,
    *,
    exist_ok: bool = False,
    agent_password: str | None = None,
) -> None:
    if await store.get(*INITIALIZED) is not None:
        if exist_ok:
            return
        raise AlreadyInitialized(
            "the store is already initialized: refusing to reset it (nothing was changed)"
        )
    marker = Put(*INITIALIZED, value=b"true", if_revision=0)
    try:
        await store.apply(
            [marker, *seed_ops(admin_username, admin_password, api_key, agent_password)]
        )
    except AlreadyExists:
        if not exist_ok:
            raise AlreadyInitialized() from None


async def initialize(
    settings: Settings,
    admin_username: str,
    admin_password: str,
    api_key: str | None = None,
    agent_password: str | None = None,
) -> None:
    from vigil.store import open_store

    store = await open_store(settings)
    try:
        await initialize_store(
            store, admin_username, admin_password, api_key, agent_password=agent_password
        )
    finally:
        await store.close()


async def require_initialized(store: Store) -> None:
    if await store.get(*INITIALIZED) is None:
        raise Unavailable(
            "the store is not initialized: run `vigil init --cluster-admin-username U "
            "--cluster-admin-password P` first"
        )


async def agent_has_default_password(store: Store) -> bool:
    """True while the ``agent`` user still has Sensu's well-known password (one bcrypt check,
    off the event loop)."""
    from vigil.auth.accounts import load_user
    from vigil.auth.passwords import verify_password
    from vigil.rbac.defaults import AGENT_PASSWORD, AGENT_USERNAME

    loaded = await load_user(store, AGENT_USERNAME)
    if loaded is None or loaded[0].disabled:
        return False
    return await verify_password(AGENT_PASSWORD, loaded[0].password_hash)


__all__: list[Any] = ["AlreadyInitialized", "initialize", "initialize_store"]
