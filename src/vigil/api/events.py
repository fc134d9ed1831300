"""Event writes go through the event processor (state, silencing, proxy entity, pipeline)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from vigil.api import resources
from vigil.api.context import Target, caller, services
from vigil.api.responses import empty


def _fill(part: Any, field: str, value: str | None, what: str) -> None:
    if part is not None:
        current = getattr(part.metadata, field) or ""
        setattr(part.metadata, field, resources.agreed(current, value, field, what))


async def _ingest(request: Request, target: Target, entity: str | None, check: str | None) -> None:
    """Decode, cross-check with the URL, then hand over: the event processor validates,
    stores (committed before this returns) and queues it for the pipeline."""
    svc = services(request)
    namespace = target.namespace or ""
    event: Any = await resources.decode_body(request, target.cls)
    _fill(event.entity, "namespace", namespace, "entity")
    _fill(event.entity, "name", entity, "entity")
    _fill(event.check, "namespace", namespace, "check")
    _fill(event.check, "name", check, "check")
    await svc.events.ingest_event(event, namespace=namespace, created_by=caller(request) or None)
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
    await svc.events.delete_event(
        target.namespace or "", target.params["entity"], target.params["check"]
    )
    return empty(204)
