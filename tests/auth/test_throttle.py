"""The throttle alone: lockout expiry and sharing through the store."""

from __future__ import annotations

import asyncio

import pytest

from vigil.api.responses import status_of
from vigil.auth.throttle import LoginThrottle
from vigil.errors import TooManyRequests
from vigil.settings import Settings
from vigil.store.sqlite import SQLiteStore

pytestmark = pytest.mark.anyio


async def test_lockout_ends_and_is_shared_between_backends(store: SQLiteStore) -> None:
    settings = Settings(login_max_failures=2, login_lockout=1.0)
    here, there = LoginThrottle(store, settings), LoginThrottle(store, settings)
    assert await here.check("bob", "10.0.0.1") is False
    await here.failed("bob", "10.0.0.1")
    assert await there.check("bob", "10.0.0.1") is True
    await there.failed("bob", "10.0.0.1")
    for throttle in (here, there):
        with pytest.raises(TooManyRequests) as info:
            await throttle.check("bob", "10.0.0.1")
        assert status_of(info.value) == 429
    assert await here.check("bob", "10.0.0.2") is False
    await asyncio.sleep(1.1)
    assert await here.check("bob", "10.0.0.1") is False
