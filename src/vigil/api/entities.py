"""Entities: POST/PUT echo the entity (200, as Sensu does); agent-managed ones are protected."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from vigil.api import resources
from vigil.api.context import Target, services
from vigil.api.responses import empty, json_response
from vigil.errors import AlreadyExists, Conflict, NotFound
from vigil.model.base import Resource, encode
from vigil.pipeline.deadlines import entity_removal_ops
from vigil.store.objects import put_of

MANAGED_BY = "sensu.io/managed_by"
# The half of an agent entity its agent owns; an API PUT keeps it (spec §2.3).
_STATE_FIELDS = ("system", "last_seen", "sensu_agent_version")


def _agent_managed(labels: dict[str, str] | None) -> bool:
    return bool(labels) and (labels or {}).get(MANAGED_BY) == "sensu-agent"


async def create(request: Request, target: Target) -> Response:
    obj = await resources.incoming(request, target, prefix="")
    try:
        await services(request).store.apply([put_of(obj, if_revision=0)])
    except AlreadyExists:
        raise AlreadyExists(f"entity {obj.key_name()} already exists") from None
    return json_response(obj.public())


async def replace(request: Request, target: Target) -> Response:
    obj = await resources.incoming(request, target, prefix="")
    if _agent_managed(obj.labels()):
        raise Conflict("entity is managed by its agent")
    store = services(request).store
    stored = await store.get(target.kind, obj.key_namespace(), obj.key_name())
    if stored is not None and getattr(obj, "entity_class", "") != "proxy":
        old = msgspec.json.decode(stored.value, type=target.cls)
        if _agent_managed(old.labels()):
            raise Conflict("entity is managed by its agent")
        for field in _STATE_FIELDS:
            if hasattr(old, field):
                setattr(obj, field, getattr(old, field))
        _keep_own_subscription(obj)
    await store.apply([put_of(obj)])
    return json_response(obj.public())


async def patch(request: Request, target: Target) -> Response:
    """A merge patch keeps ``entity:<name>`` whatever it sends, as Sensu's does."""
    return await resources.patch(request, target, adjust=_keep_own_subscription)


def _keep_own_subscription(obj: Resource) -> None:
    """An agent entity always keeps ``entity:<name>``, whatever a PUT or PATCH sends."""
    own = f"entity:{obj.key_name()}"
    subscriptions = list(getattr(obj, "subscriptions", None) or [])
    if own not in subscriptions:
        obj.subscriptions = [*subscriptions, own]  # type: ignore[attr-defined]


async def remove(request: Request, target: Target) -> Response:
    """Deletes the entity and all its events in one write, and stops watching them
    (keepalive and check TTL deadlines)."""
    store = services(request).store
    namespace, name = target.namespace or "", target.name or ""
    ops, events = await entity_removal_ops(store, namespace, name)
    if await store.get(target.kind, namespace, name) is None:
        if events:  # Sensu deletes the events even when the entity is gone
            await store.apply(ops)
        raise NotFound(f"entity {name} not found")
    await store.apply(ops)
    return empty(204)


__all__ = ["create", "encode", "patch", "remove", "replace"]
