"""Running the app under uvicorn, and a clean stop that loses no acknowledged write."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

import uvicorn

from vigil.app import create_app
from vigil.auth.throttle import forget_stored_failures
from vigil.bootstrap import agent_has_default_password, require_initialized
from vigil.dashboard.serve import dashboard_beside
from vigil.listener import uvicorn_config
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
        async with dashboard_beside(settings, app):
            await _Server(config).serve()
    finally:
        await store.close()
        log.info("stopped")
