"""Namespaces: cluster-wide, and each one carries its ``system:pipeline`` role and binding."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from vigil.api import resources
from vigil.api.context import Target, services
from vigil.api.responses import empty
from vigil.errors import Conflict, NotFound
from vigil.model.base import Resource, decode, encode
from vigil.model.registry import REGISTRY, kinds_where
from vigil.store.base import Delete, ListQuery, Op, Put
from vigil.store.objects import put_of


def namespace_ops(name: str) -> list[Op]:
    """The Role and RoleBinding every namespace gets (rbac.defaults), as store writes."""
    from vigil.rbac.defaults import namespace_objects

    ops: list[Op] = []
    for kind, _ns, _name, body in namespace_objects(name):
        obj = decode(REGISTRY[kind], encode(body))
        ops.append(put_of(obj))
    return ops


async def _decoded(request: Request, target: Target) -> Resource:
    obj = await resources.decode_body(request, target.cls)
    resources.agreed(obj.key_name(), target.name, fill=False)
    await resources.validated(obj, prefix="")
    return obj


async def create(request: Request, target: Target) -> Response:
    obj = await _decoded(request, target)
    await services(request).store.apply(
        [put_of(obj, if_revision=0), *namespace_ops(obj.key_name())]
    )
    return empty(201)


async def replace(request: Request, target: Target) -> Response:
    obj = await _decoded(request, target)
    await services(request).store.apply([put_of(obj), *namespace_ops(obj.key_name())])
    return empty(201)


async def get_one(request: Request, target: Target) -> Response:
    return await resources.get_one(request, target)


async def remove(request: Request, target: Target) -> Response:
    store = services(request).store
    name = target.name or ""
    if await store.get(target.kind, "", name) is None:
        raise NotFound(f"namespace {name} not found")
    for kind in kinds_where(lambda cls: cls.NAMESPACE_CONTENT):
        if await store.list(ListQuery(kind=kind, namespace=name, limit=1)):
            raise Conflict(f"namespace {name} is not empty: it still holds {kind}")
    ops: list[Op] = [Delete(target.kind, "", name)]
    for op in namespace_ops(name):
        assert isinstance(op, Put)
        ops.append(Delete(op.kind, op.namespace, op.name, missing_ok=True))
    await store.apply(ops)
    return empty(204)


async def list_visible(request: Request, target: Target) -> Response:
    """Namespaces the caller can see (spec §7.5); where Sensu answers 500 for none, ``[]``.

    Paged, filtered and tagged like every list, over the visible set."""
    svc = services(request)
    identity = request.scope.get("vigil.identity")
    if svc.authorizer is None or identity is None:
        return await resources.list_page(request, target)
    visible = await svc.authorizer.visible_namespaces(identity)
    records = [r for n in sorted(visible) if (r := await svc.store.get(target.kind, "", n))]
    return await resources.list_records(request, target, records)
