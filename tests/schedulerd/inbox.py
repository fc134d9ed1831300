"""Stock agents that record the check requests they receive, for the scheduler's tests."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from tests.agentd.stock_agent import AgentConfig, StockAgent


@dataclass
class Inbox:
    """What one connected agent received: (monotonic time, check_request) pairs."""

    agent: StockAgent
    requests: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def of(self, check: str) -> list[dict[str, Any]]:
        return [r for _, r in self.requests if r["config"]["metadata"]["name"] == check]

    def times(self, check: str) -> list[float]:
        return [t for t, r in self.requests if r["config"]["metadata"]["name"] == check]

    async def wait(self, check: str, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        """The first ``count`` requests for ``check``; the bound is only a failure guard."""
        deadline = time.monotonic() + timeout
        while len(self.of(check)) < count:
            if time.monotonic() > deadline:
                got = len(self.of(check))
                raise AssertionError(f"{got}/{count} requests for {check} arrived")
            await asyncio.sleep(0.02)
        return self.of(check)[:count]


@contextlib.asynccontextmanager
async def connected(
    url: str, name: str, subscriptions: list[str], namespace: str = "default"
) -> AsyncIterator[Inbox]:
    """A stock agent connected (entity config received, first keepalive sent), recording
    every check request until the block ends."""
    config = AgentConfig(name, namespace=namespace, subscriptions=subscriptions)
    async with StockAgent.connected(url, config) as agent:
        await agent.receive_type("entity_config")
        await agent.keepalive()
        inbox = Inbox(agent)

        async def record() -> None:
            while True:
                kind, doc = await agent.receive(timeout=3600)
                if kind == "check_request":
                    inbox.requests.append((time.monotonic(), doc))

        task = asyncio.create_task(record())
        try:
            yield inbox
        finally:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
