"""The routes Sensu leaves open: /health, /version, /ready, /metrics."""

from __future__ import annotations

import prometheus_client
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from vigil import SENSU_COMPAT_VERSION, __version__
from vigil.api.context import services
from vigil.api.responses import json_response
from vigil.errors import InvalidArgument
from vigil.model.registry import kinds_where


async def health(request: Request) -> Response:
    """Sensu's shape: one ``ClusterHealth`` entry per live backend (``vigil.membership``; this
    one reports its store's health, the others are healthy while they heartbeat), plus the
    store's own report."""
    timeout = request.query_params.get("timeout")
    if timeout is not None and not timeout.isdigit():
        raise InvalidArgument(f"invalid timeout {timeout!r}: must be an integer of seconds")
    svc = services(request)
    store_health = dict(await svc.store.health())
    healthy = bool(store_health.get("healthy"))
    me = svc.membership.me
    members = await svc.membership.members() if healthy else [me]
    cluster_number = await svc.membership.cluster_number() if healthy else 0
    body = {
        "Alarms": None,
        "ClusterHealth": [
            {
                "MemberID": m.id,
                "MemberIDHex": m.hex_id,
                "Name": m.name,
                "Err": "" if healthy or m != me else str(store_health.get("error", "")),
                "Healthy": healthy or m != me,
            }
            for m in members
        ],
        "Header": {"cluster_id": cluster_number, "member_id": me.id, "revision": 0, "raft_term": 0},
        "Store": store_health,
    }
    if store_health.get("backend") == "postgres":
        body["PostgresHealth"] = [{"Name": "vigil", "Active": True, "Healthy": healthy}]
    return json_response(body, status=200 if healthy else 503)


async def version(request: Request) -> Response:
    return json_response(
        {
            "sensu_backend": SENSU_COMPAT_VERSION,
            "vigil": __version__,
            "api_groups": {"core/v2": "v2.20.0"},
        }
    )


async def ready(request: Request) -> Response:
    return PlainTextResponse("ready\n")


async def metrics(request: Request) -> Response:
    svc = services(request)
    for kind in kinds_where(lambda cls: cls.COUNTED):
        svc.metrics.resources.labels(kind).set(await svc.store.count(kind))
    return Response(
        prometheus_client.generate_latest(svc.metrics.registry),
        media_type=prometheus_client.CONTENT_TYPE_LATEST,
    )
