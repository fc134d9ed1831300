"""Cluster membership without etcd: every backend heartbeats one row in the shared store.

Sensu lists its etcd members; Vigil's members are the backends sharing one store. Each
backend writes its row (``_members``, named by its member id) every ``interval`` seconds and
removes it when it stops; a row not refreshed for ``MISSED_BEATS`` intervals is a backend that
died, and is left out (and deleted by the next backend that lists). With SQLite the store is
this backend's own, so it is the only member. Liveness compares wall clocks: backends sharing
a database are expected to keep time (NTP), as etcd's lease TTLs also assume.

The cluster id is a UUID stored once, by whichever backend starts first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
import time
import uuid
from dataclasses import dataclass

import msgspec

from vigil.errors import AlreadyExists, Unavailable
from vigil.store.base import Delete, ListQuery, Put, Store

log = logging.getLogger(__name__)

MEMBERS = "_members"
CLUSTER_ID = ("_config", "", "cluster_id")
MISSED_BEATS = 3


class MemberRow(msgspec.Struct):
    id: int
    name: str
    client_urls: list[str]
    seen_at: float


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    name: str
    client_urls: list[str]

    @property
    def hex_id(self) -> str:
        return f"{self.id:x}"


def _client_url(listen_address: str) -> str:
    return f"http://{listen_address}"


class Membership:
    """This backend's place in the cluster: started and stopped with the app."""

    def __init__(self, store: Store, listen_address: str, interval: float) -> None:
        self._store = store
        self._interval = interval
        # 53 bits: exact in every JSON reader, JavaScript's included.
        self.me = Member(
            secrets.randbits(53) or 1, socket.gethostname(), [_client_url(listen_address)]
        )
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        await self.cluster_id()
        await self.beat()
        self._task = asyncio.create_task(self._loop(), name="membership-heartbeat")

    async def stop(self) -> None:
        """Ends the heartbeat between beats (a beat cut short could land after the delete
        and bring the row back), then removes this backend's row."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        with contextlib.suppress(Exception):  # a dead store: the row simply goes stale
            await self._store.apply([Delete(MEMBERS, "", self.me.hex_id, missing_ok=True)])

    async def beat(self) -> None:
        row = MemberRow(self.me.id, self.me.name, self.me.client_urls, time.time())
        await self._store.apply([Put(MEMBERS, "", self.me.hex_id, msgspec.json.encode(row))])

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)
            if self._stopping.is_set():
                return
            try:
                await self.beat()
            except Exception:
                log.warning("cluster heartbeat failed; retrying next interval", exc_info=True)

    async def members(self) -> list[Member]:
        """Live backends, this one first; stale rows are deleted on the way."""
        deadline = time.time() - MISSED_BEATS * self._interval
        live: list[Member] = []
        stale: list[Delete] = []
        for record in await self._store.list(ListQuery(MEMBERS, "")):
            row = msgspec.json.decode(record.value, type=MemberRow)
            if row.seen_at < deadline and row.id != self.me.id:
                stale.append(Delete(MEMBERS, "", record.name, record.revision, missing_ok=True))
            elif row.id != self.me.id:
                live.append(Member(row.id, row.name, row.client_urls))
        if stale:
            with contextlib.suppress(Exception):  # another backend removed them first
                await self._store.apply(stale)
        return [self.me, *live]

    async def cluster_id(self) -> str:
        record = await self._store.get(*CLUSTER_ID)
        if record is None:
            with contextlib.suppress(AlreadyExists):  # another backend stored one first
                value = msgspec.json.encode(str(uuid.uuid4()))
                await self._store.apply([Put(*CLUSTER_ID, value=value, if_revision=0)])
            record = await self._store.get(*CLUSTER_ID)
        if record is None:
            raise Unavailable("the cluster id cannot be stored")
        cluster_id: str = msgspec.json.decode(record.value)
        return cluster_id

    async def cluster_number(self) -> int:
        """The cluster id as the number an etcd response header carries (53 bits of it)."""
        return uuid.UUID(await self.cluster_id()).int >> 75
