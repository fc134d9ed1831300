"""``/api/core/v2/cluster/members`` and ``/cluster/id``, in the shapes sensuctl reads.

Sensu answers with etcd's member list (``cli/commands/cluster/member-list.go`` prints the
header's cluster id and each member's ID, name, peer and client URLs); Vigil's members are
the live backends of ``vigil.membership``. Membership is automatic, so adding, updating or
removing a member is a 400 that says so.

RBAC: Sensu's cluster routes carry no ``{resource}`` path variable, so its authorizer sees an
empty resource (the ``cluster-members`` rename in its attributes middleware never fires) and
only ``*`` rules reach them, as for ``/tessen``; Vigil does the same.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from vigil.api.context import Target, services
from vigil.api.responses import json_response
from vigil.api.routes import CORE, Op, Route
from vigil.errors import InvalidArgument
from vigil.membership import Member

AUTOMATIC = (
    "cluster membership is automatic: every backend sharing the store joins when it starts "
    "and leaves when it stops (or stops heartbeating)"
)


def _check_timeout(request: Request) -> None:
    timeout = request.query_params.get("timeout")
    if timeout is not None and not timeout.lstrip("-").isdigit():
        raise InvalidArgument(f"invalid timeout {timeout!r}: must be an integer of seconds")


def _member(member: Member) -> dict[str, Any]:
    # etcd's JSON names: ``ID``, ``name``, ``peerURLs`` (none: no etcd peers), ``clientURLs``.
    return {"ID": member.id, "name": member.name, "clientURLs": member.client_urls}


async def list_members(request: Request, target: Target) -> Response:
    _check_timeout(request)
    membership = services(request).membership
    members = await membership.members()
    header = {"cluster_id": await membership.cluster_number(), "member_id": membership.me.id}
    return json_response({"header": header, "members": [_member(m) for m in members]})


async def cluster_id(request: Request, target: Target) -> Response:
    _check_timeout(request)
    return json_response(await services(request).membership.cluster_id())


async def refuse(request: Request, target: Target) -> Response:
    raise InvalidArgument(AUTOMATIC)


def routes() -> list[Route]:
    """The route table's rows (no RBAC resource name: only ``*`` rules reach them)."""
    members = f"{CORE}/cluster/members"
    return [
        Route(members, {"GET": Op(list_members, returns="json"), "POST": Op(refuse)}),
        Route(
            f"{members}/{{id}}",
            {"PUT": Op(refuse), "DELETE": Op(refuse)},
            name_params=("id",),
        ),
        Route(f"{CORE}/cluster/id", {"GET": Op(cluster_id, returns="json")}),
    ]
