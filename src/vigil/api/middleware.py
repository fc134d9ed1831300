"""The request pipeline, outermost first (STYLE habit 4):

1. ``ErrorsAndMetrics``: times and counts every request by route template; turns VigilError into
   its JSON error, any other exception into a logged 500 without a stack trace to the client.
2. ``BodyLimit``: refuses a body over ``--api-request-limit`` with 413 before reading it
   (Content-Length) or as soon as the stream passes the limit (chunked).
3. ``vigil.api.dispatch.Dispatcher``: resolve the route in the one table -> authenticate ->
   RBAC attributes -> authorize -> handler. Open routes (``/health``, ``/auth`` ...) go
   straight to their handler.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigil.api.responses import error_response
from vigil.errors import PayloadTooLarge, VigilError
from vigil.metrics import Metrics

log = logging.getLogger("vigil.api")
CLIENT_CLOSED = 499  # the metrics' status for a request its client abandoned (nginx's code)


class ErrorsAndMetrics:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status: list[int] = []

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            # The client went away mid-request: nobody to answer, nothing of ours broke.
            if not status:
                status.append(CLIENT_CLOSED)
        except Exception as exc:
            if status:  # response already under way: nothing sane left to send
                log.exception("error after the response started", extra=_where(scope))
                raise
            error = exc if isinstance(exc, VigilError) else None
            if error is None:
                log.exception("unhandled error", extra=_where(scope))
                error = VigilError()
            await error_response(error)(scope, receive, tracking_send)
        finally:
            route = scope.get("vigil.route") or "unmatched"
            method = scope["method"]
            code = str(status[0]) if status else "500"
            self.metrics.requests.labels(route, method, code).inc()  # a dict lookup each
            self.metrics.latency.labels(route, method).observe(time.perf_counter() - start)


def _where(scope: Scope) -> dict[str, Any]:
    return {"method": scope.get("method"), "path": scope.get("path")}


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    raise self._too_large()
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise self._too_large()
            return message

        await self.app(scope, limited_receive, send)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"request body exceeds the limit of {self.limit} bytes (--api-request-limit)"
        )
