"""Round-robin rings in a real store: two backends sharing one store agree on every pick."""

from __future__ import annotations

import msgspec
import pytest

from vigil.schedulerd import ring
from vigil.schedulerd.ring import Rings
from vigil.store.base import Put
from vigil.store.sqlite import SQLiteStore

pytestmark = pytest.mark.anyio


async def test_backends_agree_and_rotate(store: SQLiteStore) -> None:
    a, b = Rings(store, "backend-a"), Rings(store, "backend-b")
    await a.publish("default", "web", ["web-1", "web-3"])
    await b.publish("default", "web", ["web-2"])
    picks = []
    for tick in range(1, 7):
        first = await a.take("default", "web", "ping", tick, 1, ["web-1", "web-3"])
        second = await b.take("default", "web", "ping", tick, 1, ["web-2"])
        assert first == second
        picks += first
    assert picks == ["web-1", "web-2", "web-3", "web-1", "web-2", "web-3"]
    # A tick already passed by another backend is not run again.
    assert await b.take("default", "web", "ping", 3, 1, ["web-2"]) == []


async def test_proxy_counts_and_leaving(store: SQLiteStore) -> None:
    a, b = Rings(store, "backend-a"), Rings(store, "backend-b")
    await a.publish("default", "db", ["db-1"])
    await b.publish("default", "db", ["db-2"])
    assert await a.take("default", "db", "q", 10, 3, ["db-1"]) == ["db-1", "db-2", "db-1"]
    await b.withdraw()
    assert await a.take("default", "db", "q", 20, 1, ["db-1"]) == ["db-1"]


async def test_expired_members_drop_out(store: SQLiteStore) -> None:
    a = Rings(store, "backend-a")
    stale = {"subscription": "s", "backend": "gone", "agents": ["z-1"], "expires": 1.0}
    await store.apply([Put(ring.MEMBERS, "default", "gone|s", msgspec.json.encode(stale))])
    assert await a.members("default", "s", ["a-1"]) == ["a-1"]
    assert await a.take("default", "s", "c", 1, 2, ["a-1"]) == ["a-1", "a-1"]


async def test_empty_ring_runs_nothing(store: SQLiteStore) -> None:
    assert await Rings(store, "x").take("default", "none", "c", 1, 1, []) == []
