"""A Store that times every call into a histogram, by operation, and delegates the rest.

Wrapping (rather than timing inside each backend) keeps the measurement identical for
SQLite and PostgreSQL and out of the backends' code; an observation costs about a
microsecond.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from vigil.metrics import LoopHistogram
from vigil.store.base import Key, ListQuery, Op, Record, Store
from vigil.store.layer import StoreLayer


class MeasuredStore(StoreLayer):
    def __init__(self, inner: Store, latency: LoopHistogram) -> None:
        super().__init__(inner)
        self._get = latency.labels("get")
        self._list = latency.labels("list")
        self._count = latency.labels("count")
        self._apply = latency.labels("apply")

    async def get(self, kind: str, namespace: str, name: str) -> Record | None:
        start = time.perf_counter()
        try:
            return await self.inner.get(kind, namespace, name)
        finally:
            self._get.observe(time.perf_counter() - start)

    async def get_many(self, keys: Sequence[Key]) -> list[Record | None]:
        start = time.perf_counter()
        try:
            return await self.inner.get_many(keys)
        finally:
            self._get.observe(time.perf_counter() - start)

    async def list(self, query: ListQuery) -> list[Record]:
        start = time.perf_counter()
        try:
            return await self.inner.list(query)
        finally:
            self._list.observe(time.perf_counter() - start)

    async def count(self, kind: str, namespace: str | None = None) -> int:
        start = time.perf_counter()
        try:
            return await self.inner.count(kind, namespace)
        finally:
            self._count.observe(time.perf_counter() - start)

    async def apply(self, ops: Sequence[Op]) -> int:
        start = time.perf_counter()
        try:
            return await self.inner.apply(ops)
        finally:
            self._apply.observe(time.perf_counter() - start)
