"""The throttle alone: its three counters, lock expiry, the known-client exemption, bounds."""

from __future__ import annotations

import asyncio

import pytest

from vigil.api.responses import status_of
from vigil.auth import throttle as throttle_module
from vigil.auth.throttle import LEGACY_KIND, LoginThrottle, forget_stored_failures
from vigil.errors import TooManyRequests
from vigil.settings import Settings
from vigil.store.base import Put
from vigil.store.sqlite import SQLiteStore

pytestmark = pytest.mark.anyio

SETTINGS = Settings(
    login_max_failures=2,
    login_lockout=0.5,
    login_client_max_failures=4,
    login_user_max_failures=3,
    login_user_lockout=0.5,
)


async def test_pair_lockout_ends() -> None:
    throttle = LoginThrottle(SETTINGS)
    assert await throttle.check("bob", "10.0.0.1") is False
    await throttle.failed("bob", "10.0.0.1")
    assert await throttle.check("bob", "10.0.0.1") is True
    await throttle.failed("bob", "10.0.0.1")
    with pytest.raises(TooManyRequests) as info:
        await throttle.check("bob", "10.0.0.1")
    assert status_of(info.value) == 429
    assert await throttle.check("bob", "10.0.0.2") is False
    await asyncio.sleep(0.6)
    assert await throttle.check("bob", "10.0.0.1") is False


async def test_client_spraying_usernames_is_locked() -> None:
    throttle = LoginThrottle(SETTINGS)
    for name in ("a", "b", "c", "d"):
        await throttle.failed(name, "10.0.0.9")
    with pytest.raises(TooManyRequests):
        await throttle.check("e", "10.0.0.9")
    await throttle.check("e", "10.0.0.10")  # another client is not affected


async def test_user_lock_spares_clients_that_logged_in_before() -> None:
    throttle = LoginThrottle(SETTINGS)
    await throttle.succeeded("carol", "10.0.0.1")
    for n in range(3):
        await throttle.failed("carol", f"10.9.9.{n}")
    with pytest.raises(TooManyRequests):
        await throttle.check("carol", "10.0.0.77")
    await throttle.check("carol", "10.0.0.1")  # her usual client still gets in


async def test_records_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttle_module, "MAX_RECORDS", 10)
    throttle = LoginThrottle(SETTINGS)
    for n in range(1000):
        await throttle.failed(f"user{n}", f"10.1.{n // 250}.{n % 250}")
    counters = (throttle._pairs, throttle._clients, throttle._users)
    assert all(len(counter._runs) <= 10 for counter in counters)


async def test_failure_rows_of_earlier_versions_are_removed(store: SQLiteStore) -> None:
    await store.apply([Put(LEGACY_KIND, "", f"u{n}@10.0.0.1", b"{}") for n in range(1500)])
    assert await forget_stored_failures(store) == 1500
    assert await store.count(LEGACY_KIND) == 0
