"""The dashboard listener's ASGI app: static files, the API forwarded in-process, and the
caller's own permissions.

The browser signs in and calls ``/auth`` and ``/api/...`` on the dashboard's own origin; those
requests go, unchanged, to the very app the API port serves (same process, same event loop).
So there is no CORS to configure, the user's own token travels with every call, and RBAC
applies exactly as it does for sensuctl.
"""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigil.api.context import Services
from vigil.api.middleware import ErrorsAndMetrics
from vigil.api.responses import json_response
from vigil.dashboard.permissions import permissions_of
from vigil.errors import MethodNotAllowed

STATIC = Path(__file__).parent / "static"
PERMISSIONS_PATH = "/dashboard/permissions"
_FORWARDED_PREFIXES = ("/api/", "/auth/")
_FORWARDED_PATHS = frozenset({"/auth", "/version", "/health"})
# Only our own files run: no inline script, nothing from elsewhere, never framed.
_SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        b"frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-cache"),
]


def forwarded(path: str) -> bool:
    return path in _FORWARDED_PATHS or path.startswith(_FORWARDED_PREFIXES)


class DashboardApp:
    """Serves ``static/`` (``/`` is ``index.html``); the API's paths go to ``api``."""

    def __init__(self, api: ASGIApp, services: Services) -> None:
        self.api = api
        self.services = services
        self.static = StaticFiles(directory=STATIC, html=True)
        self.permissions = ErrorsAndMetrics(self._permissions, services.metrics)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # no lifespan (the API listener runs it) and no websockets here
        path = scope["path"]
        if forwarded(path):
            await self.api(scope, receive, send)
        elif path == PERMISSIONS_PATH:
            await self.permissions(scope, receive, send)
        else:
            await self._static(scope, receive, _with_security_headers(send))

    async def _static(self, scope: Scope, receive: Receive, send: Send) -> None:
        """StaticFiles raises for a missing file or a wrong method (it expects a Starlette
        app around it to answer); here the answer is plain text with that status."""
        try:
            await self.static(scope, receive, send)
        except HTTPException as exc:
            response = PlainTextResponse(exc.detail, status_code=exc.status_code)
            await response(scope, receive, send)

    async def _permissions(self, scope: Scope, receive: Receive, send: Send) -> None:
        """GET ``/dashboard/permissions?namespace=NS``; errors become JSON in the wrapper."""
        scope["vigil.route"] = PERMISSIONS_PATH
        request = Request(scope, receive)
        if request.method != "GET":
            raise MethodNotAllowed()
        identity = await self.services.auth.authenticator.authenticate(
            request.headers.get("authorization")
        )
        namespace = request.query_params.get("namespace", "")
        allowed = await permissions_of(self.services.authorizer, identity, namespace)
        await json_response({"namespace": namespace, "allowed": allowed})(scope, receive, send)


def _with_security_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *_SECURITY_HEADERS]}
        await send(message)

    return wrapped
