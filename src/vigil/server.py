"""Running the app under uvicorn, and a clean stop that loses no acknowledged write."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from types import FrameType

import uvicorn

from vigil.app import VigilApp, create_app
from vigil.auth.throttle import forget_stored_failures
from vigil.bootstrap import agent_has_default_password, require_initialized
from vigil.dashboard.serve import dashboard_beside
from vigil.listener import uvicorn_config
from vigil.pipeline import js
from vigil.settings import Settings
from vigil.store import open_store

log = logging.getLogger("vigil.server")


class _Server(uvicorn.Server):
    """Handles SIGINT/SIGTERM itself: uvicorn re-raises the signal after its shutdown, which
    would kill the process before the store is closed. A signal also stops ``followers``
    (the agent listener), which install no handlers of their own."""

    def __init__(
        self,
        config: uvicorn.Config,
        followers: tuple[uvicorn.Server, ...] = (),
        *,
        signals: bool = True,
    ) -> None:
        super().__init__(config)
        self.followers = followers
        self.signals = signals

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if not self.signals or threading.current_thread() is not threading.main_thread():
            yield  # a follower, or a server run in a thread (tests): no signal handlers
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        for follower in self.followers:
            follower.handle_exit(sig, frame)
        super().handle_exit(sig, frame)


class Listeners:
    """The API server and the agent listener on one event loop; stopping one stops both."""

    def __init__(self, settings: Settings, app: VigilApp) -> None:
        self.agents = _Server(
            uvicorn_config(
                app.agents,
                settings.agent_host.strip("[]"),  # Sensu's docs write "[::]"
                settings.agent_port,
                settings,
                lifespan="off",  # the API server runs the app's lifespan
                ws="websockets-sansio",
                ws_ping_interval=settings.agent_ping_interval,
                ws_ping_timeout=settings.agent_ping_timeout,
                ws_max_size=settings.api_request_limit,
                ws_per_message_deflate=False,
            ),
            signals=False,
        )
        self.api = _Server(
            uvicorn_config(app, settings.host, settings.port, settings), followers=(self.agents,)
        )

    @property
    def started(self) -> bool:
        return bool(self.api.started and self.agents.started)

    def stop(self) -> None:
        self.api.should_exit = True
        self.agents.should_exit = True

    async def serve(self) -> None:
        # The API first: its lifespan starts the services the agent sessions use.
        api = asyncio.ensure_future(self.api.serve())
        while not self.api.started and not api.done():
            await asyncio.sleep(0.01)
        if api.done():
            await api
            return
        try:
            await self.agents.serve()
        finally:
            self.api.should_exit = True
            await api


async def serve(settings: Settings) -> None:
    js.start_engine()  # on the main thread, so filters and mutators may run side by side
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
        log.info(
            "serving the Sensu API v2",
            extra={"address": settings.api_listen_address, "store": settings.store},
        )
        log.info(
            "serving the agent websocket",
            extra={"address": f"{settings.agent_host}:{settings.agent_port}"},
        )
        # uvicorn stops taking requests on SIGTERM/SIGINT, finishes those in flight, then runs
        # the lifespan shutdown (pipeline drain, jobs); the store closes last, after its
        # writer thread has committed everything queued.
        async with dashboard_beside(settings, app):
            await Listeners(settings, app).serve()
    finally:
        await store.close()
        log.info("stopped")
