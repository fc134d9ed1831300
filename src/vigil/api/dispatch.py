"""``/api/...``: resolve the route, authenticate, authorise, then run the handler."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from vigil.api.context import Services, services
from vigil.api.routes import resolve
from vigil.rbac.attributes import attributes_for

# Routes Sensu serves to any authenticated caller, filtering what they see itself.
_NO_AUTHORIZATION = {("namespaces", "GET")}
# Writes that change who may do what: the authorizer's cached view is dropped after them.
_RBAC_KINDS = {"roles", "rolebindings", "clusterroles", "clusterrolebindings", "namespaces"}


class APIDispatcher:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        resolved = resolve(scope["method"], scope.get("raw_path") or scope["path"].encode())
        scope["vigil.route"] = resolved.template
        svc = services(request)
        if resolved.public:
            response = await resolved.handler(request, resolved.target)
            await response(scope, receive, send)
            return
        identity = await svc.auth.authenticator.authenticate(request.headers.get("authorization"))
        scope["vigil.identity"] = identity
        resource = resolved.params["resource"]
        if (resource, scope["method"]) not in _NO_AUTHORIZATION:
            await svc.authorizer.authorize(
                attributes_for(scope["method"], resolved.params, identity)
            )
        # After authorisation, so a caller learns nothing of namespaces it may not see.
        if "namespace" in resolved.params:
            await svc.namespaces.require(resolved.params["namespace"])
        response = await resolved.handler(request, resolved.target)
        if scope["method"] != "GET":
            await _announce_write(svc, resource, resolved.params.get("namespace", ""))
        await response(scope, receive, send)


async def _announce_write(svc: Services, resource: str, namespace: str) -> None:
    """Drop what this and every other backend cached about what was just written."""
    if resource in _RBAC_KINDS:
        svc.namespaces.drop()
        await svc.authorizer.invalidated()
    elif resource == "silenced":
        await svc.events.silences_changed()
    elif resource == "checks" and svc.scheduler is not None:
        await svc.scheduler.checks_changed(namespace)
