"""The Authorizer over a real SQLite store: seeded defaults, invalidation, visibility."""

from __future__ import annotations

import asyncio

import pytest

from vigil.auth.identity import Identity
from vigil.errors import Forbidden
from vigil.rbac.attributes import attributes_for
from vigil.rbac.authorizer import Authorizer
from vigil.rbac.defaults import init_objects, namespace_objects, to_ops
from vigil.store.base import Delete
from vigil.store.sqlite import SQLiteStore

pytestmark = pytest.mark.anyio

CAROL = Identity("carol", ("system:users",), False)
ADMIN = Identity("admin", ("cluster-admins", "system:users"), False)


def _params(resource: str, namespace: str = "", name: str = "") -> dict[str, str]:
    params = {"group": "core", "version": "v2", "resource": resource}
    if namespace:
        params["namespace"] = namespace
    if name:
        params["name"] = name
    return params


def _carol_binding(namespace: str) -> dict[tuple[str, str, str], dict[str, object]]:
    return {
        ("rolebindings", namespace, "carol"): {
            "subjects": [{"type": "User", "name": "carol"}],
            "role_ref": {"type": "ClusterRole", "name": "view"},
            "metadata": {"name": "carol", "namespace": namespace},
        }
    }


async def _seed(store: SQLiteStore) -> None:
    objects = init_objects("admin", "secret-password")
    objects[("namespaces", "", "dev")] = {"name": "dev"}
    objects.update({(k, ns, n): body for k, ns, n, body in namespace_objects("dev")})
    await store.apply(to_ops(objects))


async def test_seeded_store_decisions_and_invalidation(store: SQLiteStore) -> None:
    await _seed(store)
    authorizer = Authorizer(store, ttl=3600)  # only invalidate() may refresh it here
    await authorizer.authorize(attributes_for("DELETE", _params("checks", "dev", "x"), ADMIN))
    get_dev_checks = attributes_for("GET", _params("checks", "dev"), CAROL)
    with pytest.raises(Forbidden):
        await authorizer.authorize(get_dev_checks)
    assert await authorizer.visible_namespaces(CAROL) == []

    await store.apply(to_ops(_carol_binding("dev")))
    authorizer.invalidate()
    await authorizer.authorize(get_dev_checks)
    assert await authorizer.visible_namespaces(CAROL) == ["dev"]
    assert await authorizer.visible_namespaces(ADMIN) == ["default", "dev"]

    await store.apply([Delete("rolebindings", "dev", "carol")])
    authorizer.invalidate()
    with pytest.raises(Forbidden):
        await authorizer.authorize(get_dev_checks)


async def test_invalidation_reaches_other_authorizers_through_the_store(
    store: SQLiteStore,
) -> None:
    """Two authorizers sharing a store stand for two backends: a write seen by one is
    announced to the other through the store's notify/listen channel."""
    await _seed(store)
    here, there = Authorizer(store, ttl=3600), Authorizer(store, ttl=3600)
    get_dev_checks = attributes_for("GET", _params("checks", "dev"), CAROL)
    for authorizer in (here, there):
        with pytest.raises(Forbidden):
            await authorizer.authorize(get_dev_checks)
    await store.apply(to_ops(_carol_binding("dev")))
    here.invalidate()
    for _ in range(5):  # let the notification be delivered
        await asyncio.sleep(0)
    await there.authorize(get_dev_checks)


async def test_zero_ttl_always_reads_the_store(store: SQLiteStore) -> None:
    await _seed(store)
    authorizer = Authorizer(store, ttl=0)
    get_dev_checks = attributes_for("GET", _params("checks", "dev"), CAROL)
    with pytest.raises(Forbidden):
        await authorizer.authorize(get_dev_checks)
    await store.apply(to_ops(_carol_binding("dev")))
    await authorizer.authorize(get_dev_checks)
