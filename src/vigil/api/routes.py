"""The route table of ``/api/{group}/{version}/...``: URL -> (handler, target, RBAC params).

Routes are data: every registered type gets the generic collection and item routes; a few
types override or add shapes (events by entity, check hooks, silenced lookups, user
sub-resources). We parse the raw path ourselves so that a ``%2F`` inside a name (asset names
may hold ``/``) stays inside its segment, as gorilla/mux's encoded-path matching does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from vigil.api import (
    checks,
    cluster,
    entities,
    events,
    namespaces,
    resources,
    silenced,
    tessen,
    users_glue,
)
from vigil.api.context import Target
from vigil.errors import MethodNotAllowed, NotFound
from vigil.model.base import Resource
from vigil.model.registry import lookup
from vigil.model.tessen import TessenConfig

Handler = Callable[[Request, Target], Awaitable[Response]]

GENERIC: dict[tuple[str, str], Handler] = {
    ("collection", "GET"): resources.list_page,
    ("collection", "POST"): resources.create,
    ("item", "GET"): resources.get_one,
    ("item", "PUT"): resources.replace,
    ("item", "PATCH"): resources.patch,
    ("item", "DELETE"): resources.remove,
}

# Per type: shape/method -> handler, or None where Sensu has no such route (405).
OVERRIDES: dict[str, dict[tuple[str, str], Handler | None]] = {
    "namespaces": {
        ("collection", "GET"): namespaces.list_visible,
        ("collection", "POST"): namespaces.create,
        ("item", "GET"): namespaces.get_one,
        ("item", "PUT"): namespaces.replace,
        ("item", "DELETE"): namespaces.remove,
    },
    "entities": {
        ("collection", "POST"): entities.create,
        ("item", "PUT"): entities.replace,
        ("item", "PATCH"): entities.patch,
        ("item", "DELETE"): entities.remove,
    },
    "events": {
        ("collection", "POST"): events.create,
        ("item", "PUT"): events.replace,
        ("item", "POST"): events.replace,
        ("item", "PATCH"): None,
        ("item", "DELETE"): events.remove,
        ("entity", "GET"): events.list_for_entity,
    },
    "silenced": {
        ("collection", "POST"): silenced.create,
        ("item", "PUT"): silenced.replace,
        ("item", "PATCH"): None,
        ("subscriptions", "GET"): silenced.by_subscription,
        ("checks", "GET"): silenced.by_check,
    },
    "checks": {
        ("hooks", "PUT"): checks.add_hooks,
        ("hook", "DELETE"): checks.remove_hook,
        ("execute", "POST"): checks.execute,
    },
    "users": users_glue.OVERRIDES,
    "apikeys": {
        ("collection", "POST"): users_glue.create_apikey,
        ("item", "PUT"): None,
    },
}


@dataclass(frozen=True, slots=True)
class Resolved:
    handler: Handler
    target: Target
    template: str  # metric label: the route with placeholders
    params: dict[str, str]  # what RBAC attributes are built from
    public: bool = False  # served without credentials (Sensu's tessen metrics sink)


def _segments(raw_path: bytes) -> list[str]:
    parts = raw_path.decode("latin-1").split("?", 1)[0].split("/")
    segments = [unquote(p) for p in parts[1:]]
    if any("\x00" in s for s in segments):  # no name may hold NUL; PostgreSQL cannot store it
        raise NotFound()
    return segments


def _shape(resource: str, rest: list[str]) -> tuple[str, str | None, dict[str, str]] | None:
    """(shape, name, extra params) for the path after the resource segment."""
    n = len(rest)
    if n == 0:
        return "collection", None, {}
    if resource == "events":
        if n == 1:
            return "entity", None, {"entity": rest[0]}
        if n == 2:
            return "item", f"{rest[0]}/{rest[1]}", {"entity": rest[0], "check": rest[1]}
        return None
    if n == 1:
        return "item", rest[0], {}
    if resource == "silenced" and n == 2 and rest[0] in ("subscriptions", "checks"):
        return rest[0], None, {"subresource": rest[0], "value": rest[1]}
    if resource == "checks":
        if n == 3 and rest[1] == "hooks":
            return "hooks", rest[0], {"subresource": "hooks", "hook_type": rest[2]}
        if n == 5 and rest[1] == "hooks" and rest[3] == "hook":
            return "hook", rest[0], {"subresource": "hooks", "hook_type": rest[2], "hook": rest[4]}
        if n == 2 and rest[1] == "execute":
            return "execute", rest[0], {"subresource": "execute"}
    if resource == "users" and n in (2, 3):
        extra = {"subresource": rest[1]}
        if n == 3:
            extra["group_name"] = rest[2]
        return f"user:{rest[1]}" + (":x" if n == 3 else ""), rest[0], extra
    return None


def resolve(method: str, raw_path: bytes) -> Resolved:
    segs = _segments(raw_path)
    # segs: ["api", group, version, ...]
    if len(segs) < 4 or segs[0] != "api" or "" in segs:
        raise NotFound()
    group, version, tail = segs[1], segs[2], segs[3:]
    namespace: str | None = None
    if tail[0] == "namespaces" and len(tail) >= 3:
        namespace, tail = tail[1], tail[2:]
    resource, rest = tail[0], tail[1:]
    if (group, version, resource) == ("core", "v2", "tessen") and namespace is None:
        return _tessen(method, rest)
    if (group, version, resource) == ("core", "v2", "cluster") and namespace is None:
        return _cluster(method, rest)
    cls = lookup(group, version, resource)
    if cls is None or (namespace is not None and not cls.NAMESPACED):
        raise NotFound()
    shape = _shape(resource, rest)
    if shape is None:
        raise NotFound()
    kind, name, extra = shape
    if (
        cls.NAMESPACED
        and namespace is None
        and kind != "collection"
        and not (resource == "silenced" and kind == "checks")
    ):
        raise NotFound()
    handler = _handler(resource, kind, method, cls.NAMESPACED and namespace is None)
    params = {"group": group, "version": version, "resource": resource, **extra}
    if namespace is not None:
        params["namespace"] = namespace
    if name is not None:
        params["name"] = name
    template = "/api/{group}/{version}/" + ("namespaces/{namespace}/" if namespace else "")
    template = template.replace("{group}/{version}", f"{group}/{version}") + resource
    if kind != "collection":
        template += "/{" + kind + "}"
    return Resolved(handler, Target(cls, namespace, name, extra), template, params)


def _tessen(method: str, rest: list[str]) -> Resolved:
    """``/tessen`` has no RBAC resource name, so only ``*`` rules reach it (as in Sensu);
    ``/tessen/metrics`` is open."""
    target = Target(TessenConfig, None, None, {})
    params = {"group": "core", "version": "v2", "resource": ""}
    if rest == ["metrics"]:
        if method != "POST":
            raise MethodNotAllowed(f"method {method} is not allowed here")
        return Resolved(tessen.metrics, target, "/api/core/v2/tessen/metrics", params, True)
    if rest:
        raise NotFound()
    handlers: dict[str, Handler] = {"GET": tessen.get, "PUT": tessen.put}
    if method not in handlers:
        raise MethodNotAllowed(f"method {method} is not allowed here")
    return Resolved(handlers[method], target, "/api/core/v2/tessen", params)


def _cluster(method: str, rest: list[str]) -> Resolved:
    """``/cluster/...``: cluster-wide, no RBAC resource name (only ``*`` rules), as Sensu."""
    shape = tuple(rest) if len(rest) < 2 else (rest[0], "*")
    handlers = cluster.ROUTES.get(shape)
    if handlers is None or len(rest) > 2:
        raise NotFound()
    handler = handlers.get("GET" if method == "HEAD" else method)
    if handler is None:
        raise MethodNotAllowed(f"method {method} is not allowed here")
    params = {"group": "core", "version": "v2", "resource": cluster.RESOURCE}
    if len(rest) == 2:
        params["name"] = rest[1]
    template = "/api/core/v2/cluster/" + "/".join(shape).replace("*", "{id}")
    return Resolved(handler, Target(Resource, None, None, {}), template, params)


def _handler(resource: str, shape: str, method: str, all_namespaces: bool) -> Handler:
    method = "GET" if method == "HEAD" else method
    overrides = OVERRIDES.get(resource, {})
    if (shape, method) in overrides:
        found = overrides[(shape, method)]
    else:
        found = GENERIC.get((shape, method))
    if found is None or (all_namespaces and method != "GET"):
        raise MethodNotAllowed(f"method {method} is not allowed here")
    return found
