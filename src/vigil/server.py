"""Running the app under uvicorn, and a clean stop that loses no acknowledged write."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from vigil.app import create_app
from vigil.auth.throttle import forget_stored_failures
from vigil.bootstrap import agent_has_default_password, require_initialized
from vigil.listener import Limits, protocol_for
from vigil.settings import Settings
from vigil.store import open_store

log = logging.getLogger("vigil.server")


class _Server(uvicorn.Server):
    """Handles SIGINT/SIGTERM itself: uvicorn re-raises the signal after its shutdown, which
    would kill the process before the store is closed."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)


def uvicorn_config(
    app: ASGIApp, host: str, port: int, settings: Settings, **options: Any
) -> uvicorn.Config:
    """The one uvicorn configuration of every listener (API, agent port, ...): connection cap,
    header size cap, idle/header/body timeouts (``vigil.listener``), and forwarding headers
    trusted only from ``--trusted-proxies``. ``options`` add to or override it."""
    limits = Limits(
        max_connections=settings.max_connections,
        max_header_bytes=settings.max_header_bytes,
        header_timeout=settings.http_header_timeout,
        body_timeout=settings.http_body_timeout,
    )
    trusted = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    base: dict[str, Any] = {
        "host": host,
        "port": port,
        "loop": "none",
        "http": protocol_for(limits),
        "log_config": None,
        "access_log": False,
        "lifespan": "on",
        "timeout_graceful_shutdown": 10,
        "timeout_keep_alive": settings.http_idle_timeout,
        "server_header": False,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or "",
    }
    return uvicorn.Config(app, **{**base, **options})


async def serve(settings: Settings) -> None:
    store = await open_store(settings)
    try:
        await require_initialized(store)
        if removed := await forget_stored_failures(store):
            log.info("removed %d stored login failure records of an earlier version", removed)
        if await agent_has_default_password(store):
            log.warning(
                "the agent user still has the default password: set another one "
                "(sensuctl user change-password agent, or vigil init --agent-password)"
            )
        app = create_app(settings, store)
        config = uvicorn_config(app, settings.host, settings.port, settings)
        log.info(
            "serving the Sensu API v2",
            extra={"address": settings.api_listen_address, "store": settings.store},
        )
        # uvicorn stops taking requests on SIGTERM/SIGINT, finishes those in flight, then runs
        # the lifespan shutdown (pipeline drain, jobs); the store closes last, after its
        # writer thread has committed everything queued.
        await _Server(config).serve()
    finally:
        await store.close()
        log.info("stopped")
