"""Two ``vigil start`` backends on one PostgreSQL: agents get their checks wherever they are
connected, round robin rotates across backends, ad hoc reaches every backend's agents."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.cluster.conftest import SERVER_FLAGS, postgres_flags
from tests.schedulerd.inbox import connected
from tests.schedulerd.test_scheduling import CHECKS, put_check, quiet
from tests.support import (
    ServerProcess,
    client_for,
    fresh_pg_database,
    init_state,
    token_for,
)

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


@pytest.fixture(scope="module")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServerProcess]]:
    root: Path = tmp_path_factory.mktemp("scheduler-cluster")
    with fresh_pg_database() as url:
        init_state(root / "init", *postgres_flags(url))
        servers: list[ServerProcess] = []
        try:
            flags = (*postgres_flags(url), *SERVER_FLAGS)
            for i in range(2):
                server = ServerProcess(root / f"backend{i}", *flags).start()
                servers.append(server)
            yield servers
        finally:
            for server in servers:
                server.stop()


def agent_url(backend: ServerProcess) -> str:
    return backend.agent_url


@pytest.fixture
def admin_a(backends: list[ServerProcess]) -> Iterator[httpx.Client]:
    with client_for(backends[0].url, token_for(backends[0].url)) as client:
        yield client


async def test_a_check_created_on_a_reaches_an_agent_on_b(
    backends: list[ServerProcess], admin_a: httpx.Client, unique: Callable[[str], str]
) -> None:
    sub, check = unique("sub"), unique("cpu")
    async with connected(agent_url(backends[1]), unique("agent"), [sub]) as inbox:
        put_check(admin_a, check, subscriptions=[sub])
        await inbox.wait(check, 2)
        put_check(admin_a, check, subscriptions=[sub], command="echo changed")
        deadline = time.monotonic() + 20
        while not any(r["config"]["command"] == "echo changed" for r in inbox.of(check)):
            assert time.monotonic() < deadline, "the change did not reach backend B"
            await asyncio.sleep(0.05)


async def test_ad_hoc_on_a_reaches_agents_on_both_backends(
    backends: list[ServerProcess], admin_a: httpx.Client, unique: Callable[[str], str]
) -> None:
    sub, check = unique("sub"), unique("adhoc")
    put_check(admin_a, check, subscriptions=[sub], publish=False)
    async with (
        connected(agent_url(backends[0]), unique("a"), [sub]) as on_a,
        connected(agent_url(backends[1]), unique("b"), [sub]) as on_b,
    ):
        assert admin_a.post(f"{CHECKS}/{check}/execute", json={}).status_code == 202
        await on_a.wait(check, 1)
        await on_b.wait(check, 1)
        await quiet(1.0)
        assert (len(on_a.of(check)), len(on_b.of(check))) == (1, 1)


async def test_round_robin_rotates_across_backends(
    backends: list[ServerProcess], admin_a: httpx.Client, unique: Callable[[str], str]
) -> None:
    sub, check = unique("rr"), unique("ping")
    names = sorted([unique("a"), unique("b")])
    async with (
        connected(agent_url(backends[0]), names[0], [sub]) as first,
        connected(agent_url(backends[1]), names[1], [sub]) as second,
    ):
        await quiet(0.5)  # both backends have published their ring members
        put_check(admin_a, check, subscriptions=[sub], round_robin=True)
        deadline = time.monotonic() + 30
        while len(first.of(check)) + len(second.of(check)) < 5:
            assert time.monotonic() < deadline, "round robin stalled"
            await asyncio.sleep(0.05)
        assert admin_a.delete(f"{CHECKS}/{check}").status_code == 204
    runs = sorted(
        [(t, names[0]) for t in first.times(check)] + [(t, names[1]) for t in second.times(check)]
    )
    who = [name for _, name in runs]
    assert all(a != b for a, b in itertools.pairwise(who)), who
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(runs)]
    assert all(gap > 0.5 for gap in gaps), gaps
