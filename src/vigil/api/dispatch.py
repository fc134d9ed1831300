"""Every HTTP request: resolve the route, authenticate, authorise, then run the handler."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from vigil.api.context import Services, services
from vigil.api.requests import header
from vigil.model.checks import CheckConfig
from vigil.model.namespaces import Namespace
from vigil.model.rbac import ClusterRole, ClusterRoleBinding, Role, RoleBinding
from vigil.model.silenced import Silenced

_READS = {"GET", "HEAD"}
# Writes that change who may do what: the authorizer's cached view is dropped after them.
_RBAC_KINDS = {c.PLURAL for c in (Role, RoleBinding, ClusterRole, ClusterRoleBinding, Namespace)}


class Dispatcher:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        svc = services(request)
        method = scope["method"]
        resolved = svc.router.resolve(method, scope.get("raw_path") or scope["path"].encode())
        scope["vigil.route"] = resolved.route.path
        scope["path_params"] = resolved.target.params
        op = resolved.op
        if op.auth != "open":
            identity = await svc.auth.authenticator.authenticate(header(scope, b"authorization"))
            scope["vigil.identity"] = identity
            if op.auth == "rbac":
                await svc.authorizer.authorize_request(
                    method, resolved.params, resolved.key, identity
                )
            # After authorisation, so a caller learns nothing of namespaces it may not see.
            # Reads need no check (as in Sensu): a list in a missing namespace is empty, an
            # item 404.
            if "namespace" in resolved.params and scope["method"] not in _READS:
                await svc.namespaces.require(resolved.params["namespace"])
        response = await op.handler(request, resolved.target)
        if scope["method"] != "GET" and op.auth != "open":
            kind = resolved.route.cls.PLURAL if resolved.route.resource else ""
            await _announce_write(svc, kind, resolved.params.get("namespace", ""))
        await response(scope, receive, send)


async def _announce_write(svc: Services, resource: str, namespace: str) -> None:
    """Drop what this and every other backend cached about what was just written."""
    if resource in _RBAC_KINDS:
        svc.namespaces.drop()
        await svc.authorizer.invalidated()
    elif resource == Silenced.PLURAL:
        await svc.events.silences_changed()
    elif resource == CheckConfig.PLURAL and svc.scheduler is not None:
        await svc.scheduler.checks_changed(namespace)
