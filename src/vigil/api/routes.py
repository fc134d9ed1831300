"""The one route table: every path the server answers, and the one way a request finds it.

Routes are data. Every registered kind gets its collection and item routes (and, when
namespaced, the all-namespaces list); a kind's sub-resources and the few handlers that differ
from the generic CRUD are declared in ``SPECIAL`` by plural; ``/auth*``, the open endpoints and
``/api/openapi.json`` are rows of ``fixed_routes``. Adding a route is one row.

Matching walks the path segment by segment through a tree built once (no scan over the
table), so the ``/api/`` hot path costs a few dict lookups. We parse the raw path ourselves so
that a ``%2F`` inside a name (asset names may hold ``/``) stays inside its segment, as
gorilla/mux's encoded-path matching does. A path that matches with another method is 405,
one that matches nothing is 404: both decided here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from vigil.api.context import Target
from vigil.errors import MethodNotAllowed, NotFound
from vigil.model.base import Resource
from vigil.model.registry import GROUP, REGISTRY, VERSION

Handler = Callable[[Request, Target], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
# open: no credentials; authenticated: any valid credentials, the handler filters what the
# caller sees; rbac: authenticated and authorised from the route's RBAC attributes.
Auth = Literal["open", "authenticated", "rbac"]
CORE = f"/api/{GROUP}/{VERSION}"
_RESOLVED_MAX = 4096  # (method, path) resolutions kept; beyond it the cache restarts


@dataclass(frozen=True, slots=True)
class Op:
    """One method of one route; ``body``/``returns`` describe it in the OpenAPI document
    (a msgspec type, ``list[T]``, ``"json"`` for any JSON, or None for no body)."""

    handler: Handler
    auth: Auth = "rbac"
    ok: int = 200
    body: Any = None
    returns: Any = None
    summary: str = ""
    paged: bool = False  # takes limit, continue and the selectors
    media: str = "application/json"  # of the request body


@dataclass(frozen=True, slots=True)
class Route:
    path: str  # template: "/api/core/v2/namespaces/{namespace}/checks/{name}/execute"
    methods: Mapping[str, Op]
    cls: type[Resource] = Resource  # the kind it serves (Target.cls); Resource for none
    resource: str = ""  # RBAC resource; "" = only "*" rules reach it (as /tessen in Sensu)
    subresource: str = ""
    name_params: tuple[str, ...] = ("name",)  # joined with "/" into the resource name
    segments: tuple[str, ...] = field(init=False)
    param_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        segs = tuple(self.path.strip("/").split("/"))
        object.__setattr__(self, "segments", segs)
        names = tuple(s[1:-1] for s in segs if s.startswith("{"))
        object.__setattr__(self, "param_names", names)


@dataclass(frozen=True, slots=True)
class Sub:
    """A sub-resource route of a kind: ``path`` after the collection (``{name}/execute``)."""

    path: str
    subresource: str  # the RBAC subresource ("" = none)
    methods: Mapping[str, Op]
    every_namespace: bool = False  # also served without ``/namespaces/{namespace}``


@dataclass(frozen=True, slots=True)
class Special:
    """How a kind differs from generic CRUD. ``ops`` maps (shape, method) to its Op, or to
    None where Sensu has no such route; shapes are ``collection``, ``item`` and ``all``."""

    item: str = "{name}"  # the item path after the collection
    ops: Mapping[tuple[str, str], Op | None] = field(default_factory=dict)
    sub: tuple[Sub, ...] = ()


@dataclass(frozen=True, slots=True)
class Resolved:
    """Shared by every request for the same method and path: read-only throughout."""

    route: Route
    op: Op
    target: Target
    params: Mapping[str, str]  # what RBAC attributes are built from
    key: tuple[tuple[str, str], ...]  # ``params`` as a hashable value


def plain(endpoint: Endpoint) -> Handler:
    """A handler for routes that serve no kind (``/health``, ``/auth`` ...)."""

    async def handler(request: Request, target: Target) -> Response:
        return await endpoint(request)

    handler.__name__ = endpoint.__name__
    handler.__doc__ = endpoint.__doc__
    return handler


# --- the tree ---------------------------------------------------------------------------
class _Node:
    __slots__ = ("literal", "param", "route")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.param: _Node | None = None
        self.route: Route | None = None


class Router:
    """The route table and its matcher; built once by ``create_app``."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = tuple(routes)
        self._root = _Node()
        for route in self.routes:
            node = self._root
            for seg in route.segments:
                if seg.startswith("{"):
                    node.param = node.param or _Node()
                    node = node.param
                else:
                    node = node.literal.setdefault(seg, _Node())
            if node.route is not None:
                raise ValueError(f"two routes for {route.path}")
            node.route = route
        self._resolved: dict[tuple[str, bytes], Resolved] = {}

    def resolve(self, method: str, raw_path: bytes) -> Resolved:
        """The route, op and parameters of a request; a client repeats the same few paths,
        so resolutions are kept (misses, 404 and 405, are not)."""
        key = (method, raw_path)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolve(method, raw_path)
            if len(self._resolved) >= _RESOLVED_MAX:
                self._resolved.clear()
            self._resolved[key] = found
        return found

    def _resolve(self, method: str, raw_path: bytes) -> Resolved:
        segs = _segments(raw_path)
        values: list[str] = []
        route = _match(self._root, segs, 0, values)
        if route is None:
            raise NotFound()
        op = route.methods.get("GET" if method == "HEAD" else method)
        if op is None:
            raise MethodNotAllowed(f"method {method} is not allowed here")
        path_params = MappingProxyType(dict(zip(route.param_names, values, strict=True)))
        namespace = path_params.get("namespace") if route.cls.NAMESPACED else None
        if route.name_params == ("name",):  # the common case, without a join
            name = path_params.get("name")
        else:
            name = "/".join(path_params[p] for p in route.name_params if p in path_params) or None
        params = {"group": GROUP, "version": VERSION, "resource": route.resource, **path_params}
        if route.subresource:
            params["subresource"] = route.subresource
        if name is not None:
            params["name"] = name
        target = Target(route.cls, namespace, name, path_params)
        return Resolved(route, op, target, MappingProxyType(params), tuple(params.items()))


def _match(node: _Node, segs: list[str], i: int, values: list[str]) -> Route | None:
    """Literal segments before parameters, backtracking (``/silenced/subscriptions/x`` is a
    lookup, ``/silenced/subscriptions`` an entry of that name)."""
    if i == len(segs):
        return node.route
    child = node.literal.get(segs[i])
    if child is not None:
        found = _match(child, segs, i + 1, values)
        if found is not None:
            return found
    if node.param is not None:
        values.append(segs[i])
        found = _match(node.param, segs, i + 1, values)
        if found is not None:
            return found
        values.pop()
    return None


def _segments(raw_path: bytes) -> list[str]:
    parts = raw_path.decode("latin-1").split("?", 1)[0].split("/")
    segments = [unquote(p) if "%" in p else p for p in parts[1:]]
    if "" in segments or any("\x00" in s for s in segments):
        raise NotFound()  # no name may be empty or hold NUL (PostgreSQL cannot store it)
    return segments


# --- the table ------------------------------------------------------------------------------
def kind_routes(cls: type[Resource], special: Special) -> list[Route]:
    """The routes of one kind: generic CRUD with its declared differences and sub-resources."""
    from vigil.api import resources

    plural = cls.PLURAL
    overrides = special.ops

    def ops(shape: str, generic: dict[str, Op]) -> dict[str, Op]:
        out = dict(generic)
        for (s, method), op in overrides.items():
            if s != shape:
                continue
            if op is None:
                out.pop(method, None)
            else:
                out[method] = op
        return out

    many = list[cls]  # type: ignore[valid-type]
    collection = {
        "GET": Op(resources.list_page, returns=many, summary=f"List {plural}", paged=True),
        "POST": Op(resources.create, ok=201, body=cls, summary=f"Create a {cls.TYPE}"),
    }
    item = {
        "GET": Op(resources.get_one, returns=cls, summary=f"Get a {cls.TYPE}"),
        "PUT": Op(resources.replace, ok=201, body=cls, summary=f"Create or replace a {cls.TYPE}"),
        "PATCH": Op(
            resources.patch,
            body="json",
            returns=cls,
            summary=f"Merge-patch a {cls.TYPE}",
            media="application/merge-patch+json",
        ),
        "DELETE": Op(resources.remove, ok=204, summary=f"Delete a {cls.TYPE}"),
    }
    base = f"{CORE}/namespaces/{{namespace}}/{plural}" if cls.NAMESPACED else f"{CORE}/{plural}"
    item_path = special.item
    name_params = tuple(p.strip("{}") for p in item_path.split("/"))
    routes = [
        Route(base, ops("collection", collection), cls, plural),
        Route(f"{base}/{item_path}", ops("item", item), cls, plural, name_params=name_params),
    ]
    if cls.NAMESPACED:
        every = {
            "GET": Op(resources.list_page, returns=many, summary=f"List all {plural}", paged=True)
        }
        routes.append(Route(f"{CORE}/{plural}", ops("all", every), cls, plural))
    for sub in special.sub:
        prefix = f"{CORE}/{plural}" if sub.every_namespace else base
        path = f"{prefix}/{sub.path}"
        names = name_params if path.startswith(f"{base}/{item_path}") else ()
        routes.append(Route(path, sub.methods, cls, plural, sub.subresource, name_params=names))
    return routes


def build(extra: Iterable[Route] = ()) -> Router:
    """Every route: each registered kind's, then the fixed ones (``extra``: tests, plugins)."""
    from vigil.api.special import SPECIAL, fixed_routes

    routes: list[Route] = []
    for cls in REGISTRY.values():
        routes += kind_routes(cls, SPECIAL.get(cls.PLURAL, Special()))
    return Router([*routes, *fixed_routes(), *extra])
