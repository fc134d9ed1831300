"""Generic CRUD, written once for every resource type (STYLE habit 3).

Special types (namespaces, entities, events, silenced, users) reuse these pieces and add only
what differs; they live in their own modules.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from vigil.api import requests as rq
from vigil.api.context import Target, caller, services
from vigil.api.responses import JSON, empty, etag_for, json_response, not_modified
from vigil.errors import InvalidArgument, NotFound, PreconditionFailed
from vigil.model.base import Resource, decode, encode
from vigil.model.common import check_javascript, deferred_javascript
from vigil.selector.ast import Selection
from vigil.selector.evaluate import selection_matches
from vigil.store.base import Delete, ListQuery, Record, Store
from vigil.store.objects import put_of


# Types whose stored JSON is not what clients may see (password hashes, redaction).
def needs_public_view(cls: type[Resource]) -> bool:
    return cls.public is not Resource.public


async def validated(obj: Resource, *, prefix: str = "resource is invalid: ") -> Resource:
    """``obj.validate()``; its JavaScript syntax checks run on a worker thread, never here."""
    try:
        with deferred_javascript() as pending:
            obj.validate()
        if pending:
            await asyncio.to_thread(check_javascript, pending)
    except InvalidArgument as exc:
        raise InvalidArgument(prefix + exc.message) from None
    return obj


def agreed(
    given: str, url: str | None, field: str = "name", what: str = "resource", fill: bool = True
) -> str:
    """The one rule for a body value the URL also names: the URL's when the body leaves it
    empty (``fill``), a 400 when the body contradicts it."""
    if url is None or given == url or (fill and not given):
        return url if url is not None and fill else given
    raise InvalidArgument(
        f"the {field} of the {what} ({given}) does not match the {field} of the URI ({url})"
    )


def check_identity(obj: Resource, target: Target) -> None:
    """The body's name/namespace may be empty (filled from the URL) but never contradict it."""
    meta = getattr(obj, "metadata", None)
    if target.cls.NAMESPACED and meta is not None:
        meta.namespace = agreed(meta.namespace, target.namespace, "namespace")
    name = agreed(obj.key_name(), target.name, fill=meta is not None)
    if meta is not None and target.name is not None:
        meta.name = name


def render(cls: type[Resource], record: Record) -> bytes:
    if not needs_public_view(cls):
        return record.value
    return encode(msgspec.json.decode(record.value, type=cls).public())


def render_list(cls: type[Resource], records: list[Record]) -> bytes:
    # Stored JSON is already the client's JSON for most types: splice it, no re-encoding.
    return b"[" + b",".join(render(cls, r) for r in records) + b"]"


# An unpaged list longer than this is streamed in pieces of this many items.
STREAM_CHUNK = 500


async def list_page(request: Request, target: Target, **query: Any) -> Response:
    """One keyset page; the store filters before the limit, so pages are of the filtered list.

    Without a limit, a list of up to ``STREAM_CHUNK`` items is answered at once (with its
    ETag); a longer one is streamed chunk by chunk, so memory follows a chunk, not the list.
    """
    svc = services(request)
    pairs = rq.query_pairs(request)
    page = rq.page_of(pairs)
    listing = ListQuery(
        kind=target.kind,
        namespace=target.namespace,
        # one more: are there further pages?
        limit=(page.limit or STREAM_CHUNK) + 1,
        after=page.after,
        selection=rq.selection_of(pairs) or None,
        **query,
    )
    records = await svc.store.list(listing)
    if page.limit or len(records) <= STREAM_CHUNK:
        return page_response(request, target, records, page)
    return StreamingResponse(
        _streamed(svc.store, target.cls, listing, records[:STREAM_CHUNK]), media_type=JSON
    )


async def _streamed(
    store: Store, cls: type[Resource], listing: ListQuery, first: list[Record]
) -> AsyncIterator[bytes]:
    """The JSON array, chunk by chunk; each chunk is read after the last one's final key.
    Each chunk is one consistent read; the whole is not one snapshot (as with pages)."""
    records = first
    yield b"[" + render_list(cls, records)[1:-1]
    while len(records) == STREAM_CHUNK:
        after = (records[-1].namespace, records[-1].name)
        records = await store.list(dataclasses.replace(listing, after=after, limit=STREAM_CHUNK))
        if records:
            yield b"," + render_list(cls, records)[1:-1]
    yield b"]"


async def list_records(request: Request, target: Target, records: Iterable[Record]) -> Response:
    """The same paging, selectors and ETag over records a handler already holds.

    For lists the store cannot produce in one query (namespaces the caller may see): they are
    small, so they are filtered and cut here, in the store's (namespace, name) order.
    """
    pairs = rq.query_pairs(request)
    page = rq.page_of(pairs)
    selection = rq.selection_of(pairs)
    chosen = sorted(records, key=lambda r: (r.namespace, r.name))
    if page.after is not None:
        chosen = [r for r in chosen if (r.namespace, r.name) > page.after]
    if selection:
        chosen = [r for r in chosen if _selected(target.cls, r, selection)]
    if page.limit:
        chosen = chosen[: page.limit + 1]
    return page_response(request, target, chosen, page)


def _selected(cls: type[Resource], record: Record, selection: Selection) -> bool:
    obj = msgspec.json.decode(record.value, type=cls)
    return selection_matches(selection, obj.fields(), obj.labels())


def page_response(
    request: Request, target: Target, records: list[Record], page: rq.Page
) -> Response:
    """``records`` holds up to ``limit + 1`` items: the extra one only says "more remain"."""
    headers: dict[str, str] = {}
    if page.limit and len(records) > page.limit:
        records = records[: page.limit]
        last = records[-1]
        headers["Sensu-Continue"] = rq.encode_continue(last.namespace, last.name)
    etag = list_etag(records, headers.get("Sensu-Continue", ""))
    if rq.not_modified(request, etag):
        return not_modified(etag, headers)
    return json_response(render_list(target.cls, records), etag=etag, headers=headers)


def list_etag(records: list[Record], continue_token: str = "") -> str:
    """Changes whenever an item of the page is written, added or removed, or the page's end
    moves (a page that gained a successor must not look fresh)."""
    h = hashlib.blake2b(digest_size=8)
    for r in records:
        h.update(f"{r.namespace}\x00{r.name}\x00{r.revision}\x01".encode())
    h.update(continue_token.encode())
    return f'"l{h.hexdigest()}"'


async def load(store: Store, target: Target) -> Record:
    record = await store.get(target.kind, target.namespace or "", target.name or "")
    if record is None:
        raise NotFound(f"{target.cls.TYPE} {target.name} not found")
    return record


async def get_one(request: Request, target: Target) -> Response:
    svc = services(request)
    record = await load(svc.store, target)
    etag = etag_for(record.revision)
    if rq.not_modified(request, etag):
        return not_modified(etag)
    return json_response(render(target.cls, record), etag=etag)


async def decode_body(request: Request, cls: type[Resource]) -> Resource:
    return decode(cls, await request.body())


async def incoming(
    request: Request, target: Target, *, prefix: str = "resource is invalid: "
) -> Resource:
    """The body as a validated resource named by the URL and stamped with its creator
    (``prefix``: Sensu words validation errors differently per route)."""
    obj = await decode_body(request, target.cls)
    check_identity(obj, target)
    obj.set_created_by(caller(request))
    return await validated(obj, prefix=prefix)


async def create(request: Request, target: Target) -> Response:
    obj = await incoming(request, target)
    await services(request).store.apply([put_of(obj, if_revision=0)])
    return empty(201)


async def replace(request: Request, target: Target) -> Response:
    obj = await incoming(request, target)
    revision = await conditional_revision(request, target)
    await services(request).store.apply([put_of(obj, if_revision=revision)])
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


PATCH_ATTEMPTS = 8
JSON_PATCH = "application/json-patch+json"


def check_patch_type(request: Request) -> None:
    """Only RFC 7386 merge patches, as Sensu (its messages, word for word where we know them)."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == rq.MERGE_PATCH:
        return
    if media_type == JSON_PATCH:
        raise InvalidArgument(f"JSON Patch is not supported yet. Allowed values: {rq.MERGE_PATCH}")
    raise InvalidArgument(
        f"invalid Content-Type header: {content_type}.  Allowed values: {rq.MERGE_PATCH}"
    )


async def patch(
    request: Request, target: Target, adjust: Callable[[Resource], None] | None = None
) -> Response:
    """Merge patch, guarded by the stored revision.

    The conditions are checked against what is read, and the write only lands if nothing
    changed since that read. When another write got in between, read, check and merge again:
    a client that sent If-Match then gets its 412, one that sent no condition gets its patch
    applied on top of the other write, never a lost update. ``adjust`` lets a type restore
    what a patch may not remove.
    """
    svc = services(request)
    check_patch_type(request)
    patch_doc = await rq.json_body(request)
    if not isinstance(patch_doc, dict):
        raise InvalidArgument("a merge patch must be a JSON object")
    async with svc.patch_locks.hold((target.kind, target.namespace or "", target.name or "")):
        for _ in range(PATCH_ATTEMPTS):
            record = await load(svc.store, target)
            rq.check_conditions(request, etag_for(record.revision))
            obj = await patched(target, record, patch_doc)
            if adjust is not None:
                adjust(obj)
            try:
                revision = await svc.store.apply([put_of(obj, if_revision=record.revision)])
            except (PreconditionFailed, NotFound):
                continue  # another writer (PUT, another backend) got in: read again
            written = Record(record.kind, record.namespace, record.name, revision, encode(obj))
            return json_response(render(target.cls, written), etag=etag_for(revision))
    raise PreconditionFailed(
        f"{target.cls.TYPE} {target.name} keeps changing under concurrent writes; retry"
    )


async def patched(target: Target, record: Record, patch_doc: dict[str, Any]) -> Resource:
    merged = rq.merge_patch(msgspec.json.decode(record.value), patch_doc)
    obj = decode(target.cls, encode(merged))
    check_identity(obj, target)
    return await validated(obj)


async def remove(request: Request, target: Target) -> Response:
    svc = services(request)
    revision = await conditional_revision(request, target)
    if revision == 0:
        raise NotFound(f"{target.cls.TYPE} {target.name} not found")
    await svc.store.apply(
        [Delete(target.kind, target.namespace or "", target.name or "", if_revision=revision)]
    )
    return empty(204)
