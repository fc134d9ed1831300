"""Event writes go through the event processor (state, silencing, proxy entity, pipeline)."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from vigil.api import resources
from vigil.api.context import Target, caller, services
from vigil.api.responses import empty
from vigil.errors import InvalidArgument


def _fill(doc: dict[str, Any], key: str, field: str, value: str | None, what: str) -> None:
    """Missing metadata is filled from the URL; contradicting metadata is a 400."""
    part = doc.get(key)
    if not isinstance(part, dict) or value is None:
        return
    meta = part.setdefault("metadata", {})
    if not isinstance(meta, dict):
        return
    current = meta.get(field) or ""
    if not current:
        meta[field] = value
    elif current != value:
        raise InvalidArgument(
            f"the {field} of the {what} ({current}) does not match the {field} of the URI ({value})"
        )


async def _ingest(request: Request, target: Target, entity: str | None, check: str | None) -> None:
    svc = services(request)
    namespace = target.namespace or ""
    await resources.require_namespace(svc.store, target.namespace)
    obj = await resources.decode_body(request, target.cls)
    doc: dict[str, Any] = msgspec.to_builtins(obj)
    _fill(doc, "entity", "namespace", namespace, "entity")
    _fill(doc, "entity", "name", entity, "entity")
    _fill(doc, "check", "namespace", namespace, "check")
    _fill(doc, "check", "name", check, "check")
    if isinstance(doc.get("entity"), dict) and not doc["entity"].get("entity_class"):
        doc["entity"]["entity_class"] = "proxy"
    event = msgspec.convert(doc, type=target.cls)
    resources.validated(event, prefix="")
    await svc.events.ingest(
        msgspec.to_builtins(event), namespace=namespace, created_by=caller(request) or None
    )
    svc.metrics.events_ingested.inc()


async def create(request: Request, target: Target) -> Response:
    await _ingest(request, target, None, None)
    return empty(201)


async def replace(request: Request, target: Target) -> Response:
    await _ingest(request, target, target.params.get("entity"), target.params.get("check"))
    return empty(201)


async def list_for_entity(request: Request, target: Target) -> Response:
    return await resources.list_page(request, target, name_prefix=f"{target.params['entity']}/")


async def remove(request: Request, target: Target) -> Response:
    """Stops keepalive/TTL monitoring of the event too."""
    svc = services(request)
    await resources.require_namespace(svc.store, target.namespace)
    await svc.events.delete_event(
        target.namespace or "", target.params["entity"], target.params["check"]
    )
    return empty(204)
