"""Silenced entries: the name is computed from subscription and check; expiry is prepared."""

from __future__ import annotations

import time
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from vigil.api import resources
from vigil.api.context import Target, caller, services
from vigil.api.responses import empty, json_response
from vigil.errors import InvalidArgument
from vigil.model.base import Resource
from vigil.store.base import ListQuery
from vigil.store.objects import put_of


async def _prepared(request: Request, target: Target) -> Resource:
    from vigil.pipeline.silencing import prepare_silence, silence_limits

    obj: Any = await resources.decode_body(request, target.cls)
    meta = obj.metadata
    resources.agreed(meta.name, target.name)  # may be empty: computed below
    meta.namespace = resources.agreed(meta.namespace, target.namespace, "namespace")
    user = caller(request)
    obj.set_created_by(user)
    if user and not obj.creator:
        obj.creator = user
    await resources.validated(obj, prefix="")
    meta.name = obj.compute_name()
    if target.name is not None and meta.name != target.name:
        raise InvalidArgument(
            f"a silenced entry for subscription {obj.subscription or '*'} and check "
            f"{obj.check or '*'} is named {meta.name}, not {target.name}"
        )
    default_expiry, max_expiry = silence_limits(services(request).settings)
    prepared = prepare_silence(
        msgspec.to_builtins(obj),
        int(time.time()),
        default_expiry=default_expiry,
        max_expiry=max_expiry,
    )
    result: Resource = msgspec.convert(prepared, type=target.cls)
    return result


async def create(request: Request, target: Target) -> Response:
    obj = await _prepared(request, target)
    await services(request).store.apply([put_of(obj, if_revision=0)])
    return empty(201)


async def replace(request: Request, target: Target) -> Response:
    obj = await _prepared(request, target)
    await services(request).store.apply([put_of(obj)])
    return empty(201)


async def _matching(request: Request, target: Target, field: str) -> Response:
    store = services(request).store
    wanted = target.params[field]
    records = await store.list(ListQuery(kind=target.kind, namespace=target.namespace))
    keep = [r for r in records if (msgspec.json.decode(r.value).get(field) or "") == wanted]
    return json_response(resources.render_list(target.cls, keep))


async def by_subscription(request: Request, target: Target) -> Response:
    """Entries for exactly this subscription (Sensu matched a key prefix: linux ~ linux2)."""
    return await _matching(request, target, "subscription")


async def by_check(request: Request, target: Target) -> Response:
    return await _matching(request, target, "check")
