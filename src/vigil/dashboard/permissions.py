"""What the signed-in user may do in one namespace, so the dashboard offers only that.

The answer comes from the same RBAC decision the API makes (``decide``), asked for each verb
on each resource the dashboard acts on; it reveals nothing but the caller's own rights, and the
API still authorises every request itself.
"""

from __future__ import annotations

from vigil.auth.identity import Identity
from vigil.errors import Forbidden
from vigil.rbac.attributes import Attributes
from vigil.rbac.authorizer import Authorizer, decide

RESOURCES = ("events", "entities", "checks", "silenced")
VERBS = ("get", "list", "create", "update", "delete")


async def permissions_of(
    authorizer: Authorizer, identity: Identity, namespace: str
) -> dict[str, list[str]]:
    """``{resource: [verbs allowed]}`` for ``namespace`` ("" = cluster-wide rules only)."""
    snap = await authorizer.snapshot()
    allowed: dict[str, list[str]] = {}
    for resource in RESOURCES:
        verbs = []
        for verb in VERBS:
            attrs = Attributes(verb, "core", "v2", namespace, resource, "", identity)
            try:
                decide(snap, attrs)
            except Forbidden:
                continue
            verbs.append(verb)
        allowed[resource] = verbs
    return allowed
