"""The agent port of real ``vigil start`` processes: one on SQLite, two sharing PostgreSQL."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.agentd.stock_agent import AgentConfig, StockAgent
from tests.cluster.conftest import cluster, database
from tests.support import ServerProcess, client_for, init_state, token_for

pytestmark = pytest.mark.anyio


async def _poll(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        result = predicate()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def test_vigil_start_serves_agents_and_stops_cleanly(tmp_path: Path) -> None:
    init_state(tmp_path)
    server = ServerProcess(tmp_path, "--log-level", "warn").start()
    try:
        health = httpx.get(server.agent_url.replace("ws://", "http://") + "/health")
        assert health.status_code == 200
        async with StockAgent.connected(server.agent_url, AgentConfig("proc-agent")) as agent:
            await agent.receive()
            await agent.keepalive()
            with client_for(server.url, token_for(server.url)) as admin:
                path = "/api/core/v2/namespaces/default/events/proc-agent/keepalive"
                await _poll(lambda: admin.get(path).status_code == 200)
            # SIGTERM with an agent connected: the session is closed, the process exits 0.
            assert await asyncio.to_thread(server.stop, signal.SIGTERM) == 0
            with pytest.raises(ConnectionClosed):
                while True:  # whatever was pushed before (its registration), then the close
                    await agent.receive(timeout=10)
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.stop(signal.SIGKILL)


@pytest.mark.postgres
async def test_entity_change_on_one_backend_reaches_an_agent_on_another(tmp_path: Path) -> None:
    with database() as url, cluster(tmp_path, url, url, database=url) as (a, b):
        name = "spread-agent"
        path = f"/api/core/v2/namespaces/default/entities/{name}"
        config = AgentConfig(name, subscriptions=["linux"])
        wanted = ["linux", "postgres", f"entity:{name}"]
        async with StockAgent.connected(b.agent_url, config) as agent:
            await agent.receive()
            await agent.keepalive()  # registers the agent through B
            with client_for(a.url, token_for(a.url)) as admin:
                await _poll(lambda: admin.get(path).status_code == 200)
                entity = admin.get(path).json()
                entity["subscriptions"] = wanted
                assert admin.put(path, json=entity).status_code == 200
                # Skip the push of its registration, if it came first.
                while (await agent.receive_type("entity_config", 30))["subscriptions"] != wanted:
                    pass
                assert admin.delete(path).status_code == 204
                with pytest.raises(ConnectionClosed):
                    while True:
                        await agent.receive(timeout=30)
