"""The agent listener: the websocket at ``/`` plus ``/health`` and ``/ready``, served on
``--agent-host:--agent-port`` beside the API, by the same process and event loop.

The handshake follows sensu-backend's agentd: Basic credentials (401 ``missing credentials``
/ ``bad credentials``), then RBAC (403 unless the user may ``create`` ``events`` named after
the agent in its namespace), then the namespace (404 ``namespace "x" not found``). Every
refusal is a plain HTTP answer before the upgrade (the ASGI websocket denial response), and
nothing is stored. The upgrade answers ``Accept: application/json`` only, so stock agents,
which pick protobuf only when the backend lists it, speak JSON.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from vigil.agentd import wire
from vigil.agentd.sessions import Session
from vigil.api import open as open_routes
from vigil.api.context import Services
from vigil.api.responses import status_of
from vigil.auth.identity import Identity, basic_credentials
from vigil.errors import Forbidden, InvalidArgument, NotFound, Unauthenticated, VigilError
from vigil.model.meta import check_name
from vigil.rbac.attributes import Attributes

log = logging.getLogger("vigil.agentd")

NAMESPACE = "sensu-namespace"
AGENT_NAME = "sensu-agentname"
USER = "sensu-user"
SUBSCRIPTIONS = "sensu-subscriptions"


@dataclass(frozen=True, slots=True)
class Hello:
    """What an accepted handshake established."""

    namespace: str
    agent: str
    user: str
    subscriptions: tuple[str, ...]


async def handshake(svc: Services, websocket: WebSocket) -> Hello:
    """Authenticate and authorise the agent; raise the refusal's domain error."""
    headers = websocket.headers
    credentials = basic_credentials(headers.get("authorization", ""))
    if credentials is None:
        raise Unauthenticated("missing credentials")
    username, password = credentials
    client = websocket.client.host if websocket.client else ""
    try:
        identity: Identity = await svc.auth.authenticator.check_password(username, password, client)
    except Unauthenticated:
        raise Unauthenticated("bad credentials") from None
    namespace = headers.get(NAMESPACE, "")
    agent = headers.get(AGENT_NAME, "")
    try:
        await svc.authorizer.authorize(
            Attributes("create", "core", "v2", namespace, "events", agent, identity)
        )
    except Forbidden:
        raise Forbidden("Forbidden") from None  # Go's http.StatusText(403)
    if not namespace or not await svc.namespaces.exists(namespace):
        raise NotFound(f'namespace "{namespace}" not found')
    try:
        check_name("agent", agent)
    except InvalidArgument as exc:
        raise InvalidArgument(f"invalid {AGENT_NAME} header: {exc.message}") from None
    subscriptions = tuple(s.strip() for s in headers.get(SUBSCRIPTIONS, "").split(","))
    return Hello(namespace, agent, headers.get(USER, username), subscriptions)


class _DenialIsComplete(logging.Filter):
    """uvicorn's websockets-sansio protocol logs "ASGI callable returned without completing
    handshake." after every denial response, although the denial was sent (Kludex/uvicorn
    pull request 3138 fixes it); every refused agent would log a false error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "ASGI callable returned without completing handshake."


def _refusal(exc: VigilError) -> PlainTextResponse:
    """What Go's ``http.Error`` writes: the text, a newline, ``nosniff``."""
    return PlainTextResponse(
        exc.message + "\n", status_of(exc), headers={"X-Content-Type-Options": "nosniff"}
    )


def build_listener(svc: Services) -> Starlette:
    backend_id = socket.gethostname()
    uvicorn_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DenialIsComplete) for f in uvicorn_log.filters):
        uvicorn_log.addFilter(_DenialIsComplete())

    async def agent_socket(websocket: WebSocket) -> None:
        try:
            hello = await handshake(svc, websocket)
        except VigilError as exc:
            log.info(
                "agent refused",
                extra={
                    "status": status_of(exc),
                    "error": exc.message,
                    "agent": websocket.headers.get(AGENT_NAME, ""),
                    "namespace": websocket.headers.get(NAMESPACE, ""),
                },
            )
            await websocket.send_denial_response(_refusal(exc))
            return
        await websocket.accept(
            headers=[
                (b"backend-id", backend_id.encode()),
                (b"accept", wire.JSON.encode()),
                (b"content-type", wire.JSON.encode()),
            ]
        )
        session = Session(
            hello.namespace,
            hello.agent,
            hello.user,
            hello.subscriptions,
            websocket,
            svc.settings.agent_send_queue_size,
        )
        await svc.agents.run(session, websocket)

    app = Starlette(
        routes=[
            Route("/health", open_routes.health, methods=["GET"]),
            Route("/ready", open_routes.ready, methods=["GET"]),
            WebSocketRoute("/", agent_socket),
        ]
    )
    app.state.vigil = svc
    return app
