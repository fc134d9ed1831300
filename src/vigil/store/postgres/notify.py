"""Cross-backend messages over LISTEN/NOTIFY, for cache invalidation.

``psycopg``'s ``notifies()`` holds its connection while it waits, so each channel gets its own
listening connection and task. If that connection dies the task reconnects with backoff and
listens again; notifications sent while it was down are lost, so listeners should treat their
caches as short-lived rather than rely on every message arriving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import psycopg
from psycopg import AsyncConnection, sql

from vigil.errors import Unavailable
from vigil.store.postgres.pool import connection_kwargs

log = logging.getLogger(__name__)

Callback = Callable[[str], None]


class Notifications:
    def __init__(self, url: str, timeout: float) -> None:
        self._url = url
        self._timeout = timeout
        self._callbacks: dict[str, list[Callback]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def listen(self, channel: str, callback: Callback) -> None:
        """Deliver every later NOTIFY on ``channel`` to ``callback`` (on the event loop)."""
        self._callbacks.setdefault(channel, []).append(callback)
        if channel in self._tasks:
            return
        ready = asyncio.Event()
        self._tasks[channel] = asyncio.create_task(self._run(channel, ready))
        try:
            async with asyncio.timeout(self._timeout):
                await ready.wait()
        except TimeoutError:
            # The task keeps trying; the subscription starts working when the database is back.
            raise Unavailable(f"cannot listen on {channel!r}: the store is unavailable") from None

    async def _run(self, channel: str, ready: asyncio.Event) -> None:
        backoff = 0.1
        while True:
            try:
                await self._listen_once(channel, ready)
            except (psycopg.Error, OSError) as exc:
                log.warning("listener for %r lost its connection: %s", channel, exc)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def _listen_once(self, channel: str, ready: asyncio.Event) -> None:
        conn = await AsyncConnection.connect(
            self._url, **connection_kwargs(self._timeout, "listen")
        )
        async with conn:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            ready.set()
            async for message in conn.notifies():
                self._deliver(channel, message.payload)

    def _deliver(self, channel: str, payload: str) -> None:
        for callback in list(self._callbacks.get(channel, ())):
            try:
                callback(payload)
            except Exception:
                log.exception("listener callback for %r failed", channel)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        self._callbacks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
