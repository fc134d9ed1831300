"""``/api/core/v2/tessen``: Sensu's call-home opt-out, and the open metrics sink.

As in Sensu: every backend stores the default ``{"opt_out": false}`` when it starts (if
nothing is stored yet), so GET always answers; PUT answers 200 with the stored document,
and ``POST /tessen/metrics`` (no authentication) echoes the posted array. Vigil sends
nothing anywhere; the metrics are acknowledged and dropped.
"""

from __future__ import annotations

import contextlib

from starlette.requests import Request
from starlette.responses import Response

from vigil.api import requests as rq
from vigil.api.context import Target, services
from vigil.api.responses import etag_for, json_response
from vigil.errors import AlreadyExists, InvalidArgument, NotFound
from vigil.model.base import decode, encode
from vigil.model.tessen import TessenConfig
from vigil.store.base import Store
from vigil.store.objects import put_of


async def store_default(store: Store) -> None:
    """Called at start: a stored configuration (another backend's, an operator's) wins."""
    if await store.get(TessenConfig.PLURAL, "", TessenConfig.NAME) is not None:
        return
    with contextlib.suppress(AlreadyExists):  # another backend stored it first
        await store.apply([put_of(TessenConfig(opt_out=False), if_revision=0)])


async def get(request: Request, target: Target) -> Response:
    record = await services(request).store.get(TessenConfig.PLURAL, "", TessenConfig.NAME)
    if record is None:
        raise NotFound("tessen configuration not found")
    return json_response(record.value, etag=etag_for(record.revision))


async def put(request: Request, target: Target) -> Response:
    config = decode(TessenConfig, await request.body())
    revision = await services(request).store.apply([put_of(config)])
    return json_response(encode(config), etag=etag_for(revision))


async def metrics(request: Request, target: Target) -> Response:
    points = await rq.json_body(request)
    if not isinstance(points, list):
        raise InvalidArgument("tessen metrics must be a JSON array of metric points")
    return json_response(points)
