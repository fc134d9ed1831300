"""Hands user and API-key writes to their own endpoints (``vigil.api.users``/``apikeys``).

Reads of users (list, get) stay on the generic path, so paging and selectors work the same
as for every other type; ``User.public()`` keeps password material out of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route

from vigil.api.context import Target
from vigil.errors import MethodNotAllowed, NotFound

Handler = Callable[[Request, Target], Awaitable[Response]]


async def _dispatch(request: Request, routes: Sequence[BaseRoute]) -> Response:
    method_mismatch = False
    for route in routes:
        match, child = route.matches(request.scope)
        if match is Match.FULL and isinstance(route, Route):
            scope = {**request.scope, **child}
            response: Response = await route.endpoint(Request(scope, request.receive))
            return response
        method_mismatch = method_mismatch or match is Match.PARTIAL
    if method_mismatch:
        raise MethodNotAllowed()
    raise NotFound()


async def users_write(request: Request, target: Target) -> Response:
    from vigil.api import users

    return await _dispatch(request, users.routes)


async def create_apikey(request: Request, target: Target) -> Response:
    from vigil.api import apikeys

    return await _dispatch(request, apikeys.routes)


_USER_SHAPES = (
    "user:reinstate",
    "user:groups",
    "user:groups:x",
    "user:password",
    "user:change_password",
    "user:reset_password",
)

OVERRIDES: dict[tuple[str, str], Handler | None] = {
    ("collection", "POST"): users_write,
    ("item", "PUT"): users_write,
    ("item", "DELETE"): users_write,
    ("item", "PATCH"): None,
    **{(shape, m): users_write for shape in _USER_SHAPES for m in ("PUT", "DELETE")},
}
