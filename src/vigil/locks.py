"""Per-key asyncio locks: writers of one key queue, writers of different keys never wait.

Ingestion takes one per event, almost always on a key nobody holds, so that case is a dict
insert and a delete: no ``asyncio.Lock`` and no generator-based context manager (together
~6 µs per event). A key is in ``_waiting`` exactly while someone holds it; its queue holds
the futures of those waiting, served first come, first served.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Hashable
from types import TracebackType


class KeyedLocks:
    """``async with locks.hold(key): ...``; the key's state is dropped when nobody holds it."""

    def __init__(self) -> None:
        self._waiting: dict[Hashable, deque[asyncio.Future[None]]] = {}

    def hold(self, key: Hashable) -> _Hold:
        return _Hold(self, key)

    async def _acquire(self, key: Hashable) -> None:
        queue = self._waiting.get(key)
        if queue is None:
            self._waiting[key] = deque()
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.cancelled():
                if turn in queue:
                    queue.remove(turn)
            else:  # handed the lock just as we were cancelled: pass it on
                self._release(key)
            raise

    def _release(self, key: Hashable) -> None:
        queue = self._waiting[key]
        while queue:
            turn = queue.popleft()
            if not turn.done():  # skip waiters cancelled meanwhile
                turn.set_result(None)
                return
        del self._waiting[key]


class _Hold:
    __slots__ = ("_key", "_locks")

    def __init__(self, locks: KeyedLocks, key: Hashable) -> None:
        self._locks = locks
        self._key = key

    async def __aenter__(self) -> None:
        await self._locks._acquire(self._key)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._locks._release(self._key)
