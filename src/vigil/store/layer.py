"""``StoreLayer``: a Store over another one, for the layers the app stacks on its store
(timing, entity notices, account changes). Each overrides only what it adds to; everything
else goes to ``inner`` here, in one place."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from vigil.store.base import Key, ListQuery, Op, Record, Store

log = logging.getLogger("vigil.store")


class StoreLayer:
    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self._listening = False

    async def listen_once(self, channel: str, heard: Callable[[str], None], what: str) -> None:
        """Hear the other backends on ``channel`` from the first call on; never raises (a
        store that cannot listen yet keeps trying on its own, see ``Store.listen``)."""
        if self._listening:
            return
        self._listening = True
        try:
            await self.inner.listen(channel, heard)
        except Exception:
            log.warning("cannot listen for %s yet", what)

    async def get(self, kind: str, namespace: str, name: str) -> Record | None:
        return await self.inner.get(kind, namespace, name)

    async def get_many(self, keys: Sequence[Key]) -> list[Record | None]:
        return await self.inner.get_many(keys)

    async def list(self, query: ListQuery) -> list[Record]:
        return await self.inner.list(query)

    async def count(self, kind: str, namespace: str | None = None) -> int:
        return await self.inner.count(kind, namespace)

    async def apply(self, ops: Sequence[Op]) -> int:
        return await self.inner.apply(ops)

    async def is_leader(self, job: str) -> bool:
        return await self.inner.is_leader(job)

    async def health(self) -> Mapping[str, object]:
        return await self.inner.health()

    async def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        await self.inner.listen(channel, callback)

    async def notify(self, channel: str, payload: str) -> None:
        await self.inner.notify(channel, payload)

    async def close(self) -> None:
        await self.inner.close()
