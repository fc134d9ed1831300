"""Check sub-routes: hook assignment and ad hoc execution requests."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from vigil.api import requests as rq
from vigil.api import resources
from vigil.api.context import Target, services
from vigil.api.responses import empty, json_response
from vigil.errors import InvalidArgument, NotFound
from vigil.model.base import decode, encode
from vigil.schedulerd import adhoc
from vigil.store.objects import put_of


async def _stored(request: Request, target: Target) -> tuple[dict[str, Any], int]:
    store = services(request).store
    record = await resources.load(store, target)
    return msgspec.json.decode(record.value), record.revision


async def _write(request: Request, target: Target, doc: dict[str, Any], revision: int) -> None:
    obj = decode(target.cls, encode(doc))
    await resources.validated(obj, prefix="")
    await services(request).store.apply([put_of(obj, if_revision=revision)])


async def add_hooks(request: Request, target: Target) -> Response:
    """Body ``{"<type>": ["hook", ...]}``: names are appended to that type's list."""
    body = await rq.json_body(request)
    if isinstance(body, dict):  # a null list is no list, as Go reads it
        body = {k: v for k, v in body.items() if v is not None}
    if not isinstance(body, dict) or not all(
        isinstance(v, list) and all(isinstance(h, str) for h in v) for v in body.values()
    ):
        raise InvalidArgument('the body must be a hook list: {"<type>": ["hook", ...]}')
    doc, revision = await _stored(request, target)
    lists: list[dict[str, list[str]]] = doc.get("check_hooks") or []
    for hook_type, hooks in body.items():
        entry = next((e for e in lists if hook_type in e), None)
        if entry is None:
            lists.append({hook_type: list(hooks)})
        else:
            entry[hook_type] += [h for h in hooks if h not in entry[hook_type]]
    doc["check_hooks"] = lists
    await _write(request, target, doc, revision)
    return empty(201)


async def remove_hook(request: Request, target: Target) -> Response:
    hook_type, hook = target.params["hook_type"], target.params["hook"]
    doc, revision = await _stored(request, target)
    lists: list[dict[str, list[str]]] = doc.get("check_hooks") or []
    entry = next((e for e in lists if hook in e.get(hook_type, [])), None)
    if entry is None:
        raise NotFound(f"hook {hook} of type {hook_type} not found on check {target.name}")
    entry[hook_type].remove(hook)
    doc["check_hooks"] = [e for e in lists if any(e.values())] or None
    await _write(request, target, doc, revision)
    return empty(204)


async def execute(request: Request, target: Target) -> Response:
    """Sensu's AdhocRequest: the stored check (with the request's subscriptions, when it
    names some) is queued in the store for every backend's agents; 202 + ``issued``."""
    body = await rq.json_body(request)
    if not isinstance(body, dict):
        raise InvalidArgument("the body must be a JSON object")
    subscriptions = body.get("subscriptions")
    if subscriptions is not None and not (
        isinstance(subscriptions, list) and all(isinstance(s, str) and s for s in subscriptions)
    ):
        raise InvalidArgument("subscriptions must be a list of non-empty strings")
    for key in ("creator", "reason"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise InvalidArgument(f"{key} must be a string")
    doc, _ = await _stored(request, target)
    issued = await adhoc.queue(
        services(request).store,
        doc,
        subscriptions,
        str(body.get("creator") or ""),
        str(body.get("reason") or ""),
    )
    return json_response({"issued": issued}, status=202)
