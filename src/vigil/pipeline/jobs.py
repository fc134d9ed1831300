"""Periodic jobs: silence expiry, the keepalive monitor and the check TTL monitor.

Each job runs on its own interval and only while the store says this process leads that job
(``store.is_leader(name)``), so with several backends on one PostgreSQL exactly one of them
acts. A failing run is logged and retried on the next tick; it never stops the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

import msgspec

from vigil.errors import PreconditionFailed
from vigil.pipeline.eventd import SILENCED, EventProcessor
from vigil.pipeline.silencing import is_expired
from vigil.settings import Settings
from vigil.store.base import Delete, ListQuery, Store

log = logging.getLogger(__name__)

SILENCE_EXPIRY = "silence-expiry"
KEEPALIVE = "keepalive"
CHECK_TTL = "check-ttl"

Job = Callable[[], Awaitable[int]]


async def expire_silences(store: Store, now: int | None = None) -> int:
    """Delete every silence whose ``expire_at`` has passed; return how many went."""
    now = int(time.time()) if now is None else now
    ops: list[Delete] = []
    for record in await store.list(ListQuery(SILENCED)):
        if is_expired(msgspec.json.decode(record.value), now):
            ops.append(Delete(SILENCED, record.namespace, record.name, record.revision, True))
    if not ops:
        return 0
    try:
        await store.apply(ops)
    except PreconditionFailed:
        # One entry was rewritten meanwhile; delete the rest one by one.
        return await _expire_one_by_one(store, ops)
    return len(ops)


async def _expire_one_by_one(store: Store, ops: list[Delete]) -> int:
    done = 0
    for op in ops:
        with contextlib.suppress(PreconditionFailed):
            await store.apply([op])
            done += 1
    return done


class PeriodicJobs:
    """Started and stopped by the app: ``await jobs.start()`` / ``await jobs.stop()``."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        processor: EventProcessor,
        extra: Mapping[str, tuple[float, Job]] | None = None,
    ) -> None:
        """``extra``: more jobs by name (interval, run), e.g. the auth layer's session purge."""
        self.store = store
        self.settings = settings
        self.processor = processor
        self.extra = dict(extra or {})
        self._tasks: list[asyncio.Task[None]] = []

    def jobs(self) -> dict[str, tuple[float, Job]]:
        """Job name -> (interval in seconds, one run)."""
        return {
            SILENCE_EXPIRY: (
                self.settings.silence_expiry_interval,
                self._expire_silences,
            ),
            KEEPALIVE: (
                self.settings.keepalive_check_interval,
                self._check_keepalives,
            ),
            CHECK_TTL: (
                self.settings.keepalive_check_interval,
                self._check_ttls,
            ),
            **self.extra,
        }

    # The monitors are wired into the processor at start-up; unwired, nothing is watched.
    async def _check_keepalives(self) -> int:
        watch = self.processor.keepalives
        return 0 if watch is None else await watch.check_deadlines()

    async def _check_ttls(self) -> int:
        watch = self.processor.check_ttls
        return 0 if watch is None else await watch.check_deadlines()

    async def start(self) -> None:
        if self._tasks:
            return
        for name, (interval, run) in self.jobs().items():
            task = asyncio.create_task(self._loop(name, interval, run), name=f"job:{name}")
            self._tasks.append(task)

    async def stop(self, timeout: float = 5.0) -> None:
        """Cancel every job; a job that ignores cancellation cannot hang shutdown past
        ``timeout`` (it is logged and left behind)."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            log.error("periodic job did not stop in time", extra={"job": task.get_name()})

    async def _expire_silences(self) -> int:
        removed = await expire_silences(self.store)
        if removed:
            await self.processor.silences_changed()
        return removed

    async def run_once(self, name: str) -> int:
        """Run job ``name`` now if this process leads it; 0 otherwise."""
        _, run = self.jobs()[name]
        if not await self.store.is_leader(name):
            return 0
        return await run()

    async def _loop(self, name: str, interval: float, run: Job) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                if await self.store.is_leader(name):
                    await run()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("periodic job failed", extra={"job": name})
