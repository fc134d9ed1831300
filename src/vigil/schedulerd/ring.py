"""Round-robin rings kept in the store, so every backend on one database shares them.

A ring is the set of agents holding a subscription in a namespace, across all backends. Each
backend publishes the agents connected to it (``_ring_members``, one row per backend and
subscription, with an expiry it keeps renewing, so a backend that dies drops out by itself).
Each run of a round-robin check claims its turn in ``_ring_cursors``: the first backend to
reach scheduled time T picks the next agents after the previous pick, alphabetically, and
writes them conditionally on the cursor's revision; every other backend reads that pick. The
backend holding a picked agent sends it the request. So one agent runs each tick, wherever it
is connected, and rotation continues across backend restarts.
"""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Sequence
from typing import Any

import msgspec

from vigil.errors import AlreadyExists, NotFound, PreconditionFailed
from vigil.store.base import Delete, ListQuery, Put, Store

log = logging.getLogger("vigil.schedulerd")

MEMBERS = "_ring_members"
CURSORS = "_ring_cursors"
MEMBER_TTL = 30.0  # seconds a backend's membership row lives without renewal


class Rings:
    """This backend's view of, and part in, the shared rings."""

    def __init__(self, store: Store, backend: str) -> None:
        self.store = store
        self.backend = backend
        # (namespace, subscription) -> (agents last published, when)
        self._published: dict[tuple[str, str], tuple[tuple[str, ...], float]] = {}

    async def publish(self, namespace: str, subscription: str, agents: Sequence[str]) -> None:
        """Record which agents hold ``subscription`` here; renews the row when it ages."""
        key, now = (namespace, subscription), time.time()
        current = tuple(sorted(agents))
        last = self._published.get(key)
        if last is not None and last[0] == current and now - last[1] < MEMBER_TTL / 3:
            return
        name = f"{self.backend}|{subscription}"
        if not current:
            await self.store.apply([Delete(MEMBERS, namespace, name, missing_ok=True)])
        else:
            value = {
                "subscription": subscription,
                "backend": self.backend,
                "agents": list(current),
                "expires": now + MEMBER_TTL,
            }
            await self.store.apply([Put(MEMBERS, namespace, name, msgspec.json.encode(value))])
        self._published[key] = (current, now)

    async def withdraw(self) -> None:
        """Leave every ring (on shutdown), so other backends stop picking our agents."""
        ops = [
            Delete(MEMBERS, ns, f"{self.backend}|{sub}", missing_ok=True)
            for ns, sub in self._published
        ]
        self._published.clear()
        if ops:
            await self.store.apply(ops)

    async def members(self, namespace: str, subscription: str, local: Sequence[str]) -> list[str]:
        """Every live agent in the ring, sorted; this backend's own from ``local`` (fresh)."""
        agents = set(local)
        now = time.time()
        for record in await self.store.list(ListQuery(MEMBERS, namespace=namespace)):
            row: dict[str, Any] = msgspec.json.decode(record.value)
            if row.get("subscription") != subscription or row.get("backend") == self.backend:
                continue
            if float(row.get("expires", 0)) > now:
                agents.update(row.get("agents") or ())
        return sorted(agents)

    async def take(
        self,
        namespace: str,
        subscription: str,
        check: str,
        tick: int,
        count: int,
        local: Sequence[str],
    ) -> list[str]:
        """The agents that run ``check`` at scheduled time ``tick`` (ns), the same answer on
        every backend; empty when the ring is empty or the tick is already in the past."""
        name = f"{check}|{subscription}"
        for _ in range(3):
            record = await self.store.get(CURSORS, namespace, name)
            cursor: dict[str, Any] = msgspec.json.decode(record.value) if record else {}
            if cursor.get("tick") == tick:
                return list(cursor.get("agents") or [])
            if int(cursor.get("tick", -1)) > tick:
                return []
            ring = await self.members(namespace, subscription, local)
            if not ring:
                return []
            picked = pick(ring, str(cursor.get("last", "")), count)
            value = {"tick": tick, "agents": picked, "last": picked[-1]}
            op = Put(
                CURSORS,
                namespace,
                name,
                msgspec.json.encode(value),
                if_revision=record.revision if record else 0,
            )
            try:
                await self.store.apply([op])
            except (AlreadyExists, PreconditionFailed, NotFound):
                continue  # another backend claimed a tick first: read its pick
            return picked
        log.warning("round robin cursor kept changing", extra={"check": check})
        return []


def pick(ring: Sequence[str], last: str, count: int) -> list[str]:
    """``count`` agents from the sorted ``ring``, starting after ``last`` and wrapping."""
    start = bisect.bisect_right(ring, last) if last else 0
    return [ring[(start + i) % len(ring)] for i in range(count)]
