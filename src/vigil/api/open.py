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
    """Sensu's shape (one healthy member, no etcd), plus the store's own report."""
    timeout = request.query_params.get("timeout")
    if timeout is not None and not timeout.isdigit():
        raise InvalidArgument(f"invalid timeout {timeout!r}: must be an integer of seconds")
    store_health = dict(await services(request).store.health())
    healthy = bool(store_health.get("healthy"))
    body = {
        "Alarms": None,
        "ClusterHealth": [
            {
                "MemberID": 1,
                "MemberIDHex": "1",
                "Name": "vigil",
                "Err": "" if healthy else str(store_health.get("error", "")),
                "Healthy": healthy,
            }
        ],
        "Header": {"cluster_id": 1, "member_id": 1, "revision": 0, "raft_term": 0},
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
