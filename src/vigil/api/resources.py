"""Generic CRUD, written once for every resource type (STYLE habit 3).

Special types (namespaces, entities, events, silenced, users) reuse these pieces and add only
what differs; they live in their own modules.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from vigil.api import requests as rq
from vigil.api.context import Target, caller, services
from vigil.api.responses import empty, etag_for, json_response
from vigil.errors import InvalidArgument, NotFound, PreconditionFailed
from vigil.model.base import Resource, decode, encode
from vigil.store.base import Delete, ListQuery, Put, Record, Store


# Types whose stored JSON is not what clients may see (password hashes, redaction).
def needs_public_view(cls: type[Resource]) -> bool:
    return cls.public is not Resource.public


def to_put(obj: Resource, if_revision: int | None = None) -> Put:
    return Put(
        kind=obj.PLURAL,
        namespace=obj.key_namespace(),
        name=obj.key_name(),
        value=encode(obj),
        fields=obj.fields(),
        labels=obj.labels(),
        if_revision=if_revision,
    )


def validated(obj: Resource, *, prefix: str = "resource is invalid: ") -> Resource:
    try:
        obj.validate()
    except InvalidArgument as exc:
        raise InvalidArgument(prefix + exc.message) from None
    return obj


async def require_namespace(store: Store, namespace: str | None) -> None:
    if namespace is not None and await store.get("namespaces", "", namespace) is None:
        raise NotFound(f"namespace {namespace} does not exist")


def check_identity(obj: Resource, target: Target) -> None:
    """The body's name/namespace may be empty (filled from the URL) but never contradict it."""
    meta = getattr(obj, "metadata", None)
    if target.cls.NAMESPACED and meta is not None and target.namespace is not None:
        if not meta.namespace:
            meta.namespace = target.namespace
        elif meta.namespace != target.namespace:
            raise InvalidArgument(
                f"the namespace of the resource ({meta.namespace}) does not match "
                f"the namespace of the URI ({target.namespace})"
            )
    if target.name is not None:
        if not obj.key_name() and meta is not None:
            meta.name = target.name
        elif obj.key_name() != target.name:
            raise InvalidArgument(
                f"the name of the resource ({obj.key_name()}) does not match "
                f"the name of the URI ({target.name})"
            )


def render(cls: type[Resource], record: Record) -> bytes:
    if not needs_public_view(cls):
        return record.value
    return encode(msgspec.json.decode(record.value, type=cls).public())


def render_list(cls: type[Resource], records: list[Record]) -> bytes:
    # Stored JSON is already the client's JSON for most types: splice it, no re-encoding.
    return b"[" + b",".join(render(cls, r) for r in records) + b"]"


async def list_page(request: Request, target: Target, **query: Any) -> Response:
    svc = services(request)
    pairs = rq.query_pairs(request)
    page = rq.page_of(pairs)
    selection = rq.selection_of(pairs)
    await require_namespace(svc.store, target.namespace)
    limit = page.limit + 1 if page.limit else None
    records = await svc.store.list(
        ListQuery(
            kind=target.kind,
            namespace=target.namespace,
            limit=limit,
            after=page.after,
            selection=selection or None,
            **query,
        )
    )
    headers: dict[str, str] = {}
    if page.limit and len(records) > page.limit:
        records = records[: page.limit]
        last = records[-1]
        headers["Sensu-Continue"] = rq.encode_continue(last.namespace, last.name)
    headers["ETag"] = list_etag(records)
    return Response(
        render_list(target.cls, records), media_type="application/json", headers=headers
    )


def list_etag(records: list[Record]) -> str:
    """Changes whenever any item of the page is written, added or removed."""
    h = hashlib.blake2b(digest_size=8)
    for r in records:
        h.update(f"{r.namespace}\x00{r.name}\x00{r.revision}\x01".encode())
    return f'"l{h.hexdigest()}"'


async def load(store: Store, target: Target) -> Record:
    record = await store.get(target.kind, target.namespace or "", target.name or "")
    if record is None:
        raise NotFound(f"{target.cls.TYPE} {target.name} not found")
    return record


async def get_one(request: Request, target: Target) -> Response:
    svc = services(request)
    await require_namespace(svc.store, target.namespace)
    record = await load(svc.store, target)
    etag = etag_for(record.revision)
    if rq.not_modified(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return json_response(render(target.cls, record), etag=etag)


async def decode_body(request: Request, cls: type[Resource]) -> Resource:
    return decode(cls, await request.body())


async def create(request: Request, target: Target) -> Response:
    svc = services(request)
    obj = await decode_body(request, target.cls)
    check_identity(obj, target)
    obj.set_created_by(caller(request))
    validated(obj)
    await require_namespace(svc.store, target.namespace)
    await svc.store.apply([to_put(obj, if_revision=0)])
    return empty(201)


async def replace(request: Request, target: Target) -> Response:
    svc = services(request)
    obj = await decode_body(request, target.cls)
    check_identity(obj, target)
    obj.set_created_by(caller(request))
    validated(obj)
    await require_namespace(svc.store, target.namespace)
    await svc.store.apply([to_put(obj, if_revision=await conditional_revision(request, target))])
    return empty(201)


async def conditional_revision(request: Request, target: Target) -> int | None:
    """Beyond Sensu: If-Match / If-None-Match on PUT and DELETE too; None = unconditional."""
    if "if-match" not in request.headers and "if-none-match" not in request.headers:
        return None
    record = await services(request).store.get(
        target.kind, target.namespace or "", target.name or ""
    )
    rq.check_conditions(request, etag_for(record.revision) if record else None)
    return record.revision if record else 0


async def patch(request: Request, target: Target) -> Response:
    svc = services(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != rq.MERGE_PATCH:
        raise InvalidArgument(
            f"invalid Content-Type header: {content_type or '(none)'}. "
            f"Allowed values: {rq.MERGE_PATCH}"
        )
    await require_namespace(svc.store, target.namespace)
    record = await load(svc.store, target)
    rq.check_conditions(request, etag_for(record.revision))
    patch_doc = await rq.json_body(request)
    if not isinstance(patch_doc, dict):
        raise InvalidArgument("a merge patch must be a JSON object")
    merged = rq.merge_patch(msgspec.json.decode(record.value), patch_doc)
    obj = decode(target.cls, encode(merged))
    check_identity(obj, target)
    validated(obj)
    try:
        revision = await svc.store.apply([to_put(obj, if_revision=record.revision)])
    except PreconditionFailed:
        raise PreconditionFailed(
            f"{target.cls.TYPE} {target.name} was changed by another request; retry"
        ) from None
    return json_response(
        render(
            target.cls, Record(record.kind, record.namespace, record.name, revision, encode(obj))
        ),
        etag=etag_for(revision),
    )


async def remove(request: Request, target: Target) -> Response:
    svc = services(request)
    await require_namespace(svc.store, target.namespace)
    revision = await conditional_revision(request, target)
    if revision == 0:
        raise NotFound(f"{target.cls.TYPE} {target.name} not found")
    await svc.store.apply(
        [Delete(target.kind, target.namespace or "", target.name or "", if_revision=revision)]
    )
    return empty(204)
