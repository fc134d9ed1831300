"""KeyedLocks: one holder per key, first come first served, nothing left behind."""

from __future__ import annotations

import asyncio

import pytest

from vigil.locks import KeyedLocks

pytestmark = pytest.mark.anyio


async def test_one_holder_per_key_in_arrival_order_and_other_keys_never_wait() -> None:
    locks = KeyedLocks()
    order: list[str] = []

    async def hold(key: str, name: str, pause: float) -> None:
        async with locks.hold(key):
            order.append(f"+{name}")
            await asyncio.sleep(pause)
            order.append(f"-{name}")

    await asyncio.gather(hold("a", "1", 0.02), hold("a", "2", 0), hold("b", "3", 0))
    assert order == ["+1", "+3", "-3", "-1", "+2", "-2"]
    assert locks._waiting == {}


async def test_a_cancelled_waiter_neither_holds_nor_blocks_the_key() -> None:
    locks = KeyedLocks()
    entered: list[str] = []
    release = asyncio.Event()

    async def first() -> None:
        async with locks.hold("k"):
            await release.wait()

    async def waiter(name: str) -> None:
        async with locks.hold("k"):
            entered.append(name)

    holder = asyncio.create_task(first())
    await asyncio.sleep(0)
    cancelled = asyncio.create_task(waiter("cancelled"))
    third = asyncio.create_task(waiter("third"))
    await asyncio.sleep(0)
    cancelled.cancel()
    release.set()
    await asyncio.gather(holder, third)
    assert cancelled.cancelled() and entered == ["third"]
    assert locks._waiting == {}


async def test_an_error_inside_releases_the_key() -> None:
    locks = KeyedLocks()
    with pytest.raises(ValueError):
        async with locks.hold("k"):
            raise ValueError
    async with locks.hold("k"):
        pass
    assert locks._waiting == {}
