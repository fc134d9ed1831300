"""What a request asks to do, as data (spec §7.3; sensu-go authorization_attributes.go).

Built from the HTTP method and the route's path parameters only, so the rules can be tested
as plain function calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from vigil.auth.identity import Identity
from vigil.model.events import Event
from vigil.model.silenced import Silenced
from vigil.model.users import User

LOCAL_SELF_USER = "localselfuser"

_VERBS = {
    "POST": "create",
    "GET": "get",
    "HEAD": "get",
    "PUT": "update",
    "PATCH": "update",
    "DELETE": "delete",
}

# Sub-resources through which a user may act on their own account as ``localselfuser``.
_SELF_SUBRESOURCES = frozenset({"password", "change_password"})
_SILENCED_LOOKUPS = frozenset({"subscriptions", "checks"})


@dataclass(frozen=True, slots=True)
class Attributes:
    verb: str  # get, list, create, update, delete
    group: str
    version: str
    namespace: str  # "" for cluster-wide or all-namespaces requests
    resource: str  # plural ("checks"), "localselfuser", or "" for routes without one
    name: str  # "" for collections
    identity: Identity


def _name(resource: str, params: Mapping[str, str]) -> str:
    if resource == Event.PLURAL and params.get("entity") and params.get("check"):
        return f"{params['entity']}/{params['check']}"
    if resource == Silenced.PLURAL and params.get("subresource") in _SILENCED_LOOKUPS:
        value = params.get("value") or params.get("subscription") or params.get("check") or ""
        return f"{params['subresource']}/{value}" if value else ""
    return params.get("name", "")


def attributes_for(method: str, path_params: Mapping[str, str], identity: Identity) -> Attributes:
    """The attributes of ``method`` on a route whose parameters are ``path_params``.

    Parameters used: ``group``, ``version``, ``namespace`` (absent = cluster-wide or all
    namespaces), ``resource`` (absent = routes like ``/tessen``: only ``*`` rules match),
    ``name``; events: ``entity``, ``check``; ``subresource`` (``password``, ``groups``,
    ``hooks``, ``execute``, silenced ``subscriptions``/``checks`` with ``value``).
    """
    verb = _VERBS.get(method.upper(), method.lower())
    resource = path_params.get("resource", "")
    name = _name(resource, path_params)
    subresource = path_params.get("subresource", "")
    if verb == "get" and (not name or (resource == Event.PLURAL and not path_params.get("check"))):
        verb = "list"
        if resource == Event.PLURAL:
            name = ""
    reads_self = method.upper() in ("GET", "HEAD") and not subresource
    if (
        resource == User.PLURAL
        and name
        and name == identity.username
        and (reads_self or subresource in _SELF_SUBRESOURCES)
    ):
        resource = LOCAL_SELF_USER
    return Attributes(
        verb=verb,
        group=path_params.get("group", ""),
        version=path_params.get("version", ""),
        namespace=path_params.get("namespace", ""),
        resource=resource,
        name=name,
        identity=identity,
    )
