"""The dashboard's own uvicorn server, beside the API's in the same process and event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn

from vigil.app import VigilApp
from vigil.dashboard.app import DashboardApp
from vigil.errors import Unavailable
from vigil.listener import uvicorn_config
from vigil.settings import Settings

log = logging.getLogger("vigil.dashboard")


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is served, so a port already in use stops
    ``vigil start`` with a clear message instead of a backend without its dashboard."""
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise Unavailable(f"cannot listen on dashboard address {host}:{port}: {exc}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class DashboardServer(uvicorn.Server):
    """Leaves signals to the API server, which stops this one when it stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def dashboard_beside(settings: Settings, app: VigilApp) -> AsyncIterator[None]:
    """Serve the dashboard while the body runs (the API server); stop it afterwards."""
    sock = bind(settings.dashboard_host, settings.dashboard_port)
    config = uvicorn_config(
        DashboardApp(app, app.state.vigil),
        settings.dashboard_host,
        settings.dashboard_port,
        settings,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    server = DashboardServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    log.info(
        "serving the dashboard",
        extra={"address": f"http://{settings.dashboard_host}:{settings.dashboard_port}"},
    )
    try:
        yield
    finally:
        server.should_exit = True
        await task
        sock.close()
