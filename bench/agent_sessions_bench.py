"""What agent sessions cost the backend: connecting, registering, keepalives, memory.

    .venv/bin/python bench/agent_sessions_bench.py [--agents 1000] [--quick]

A real ``vigil start`` (SQLite) and N stock-agent-faithful websocket clients
(``tests/agentd/stock_agent.py``: the same headers, frames and Go-shaped JSON as
``sensu-agent``). Three phases, each timed and charged with the server's CPU time
(``/proc/<pid>/stat``): N connections (handshake with Basic auth and RBAC, the first
``entity_config``), one keepalive each (registration: entity created, its config pushed,
keepalive event stored), and a second keepalive each (the steady state: deadline and
``last_seen`` refreshed, OK keepalive event stored). The server's RSS growth per session is
read after the connections. Baseline, in the same run: ``GET /health`` on the agent port, the
HTTP stack alone, as requests per second of server CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.agentd.stock_agent import AgentConfig, StockAgent

from bench.harness import free_port, vigil, vigil_init


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def until(predicate: object, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not keep up in time")
        await asyncio.sleep(0.05)


async def run(agents: int) -> None:
    state = Path(tempfile.mkdtemp(prefix="vigil-agents-"))
    vigil_init(state)
    port, agent_port = free_port(), free_port()
    log = (state / "server.log").open("wb")
    proc = subprocess.Popen(
        vigil("start", "--state-dir", str(state), "--api-listen-address", f"127.0.0.1:{port}",
              "--agent-port", str(agent_port), "--log-level", "warn"),
        stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    url, agent_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{agent_port}"
    try:
        await until(lambda: _healthy(url), 60)
        pid = proc.pid
        # Baseline: the HTTP stack of the agent port alone.
        cpu0 = cpu_seconds(pid)
        async with httpx.AsyncClient(base_url=url.replace(str(port), str(agent_port))) as http:
            for _ in range(500):
                await http.get("/health")
        health_cpu = (cpu_seconds(pid) - cpu0) / 500
        clients = [
            StockAgent(agent_url, AgentConfig(f"agent-{i}", subscriptions=["linux"]))
            for i in range(agents)
        ]
        gate = asyncio.Semaphore(50)

        async def connect(agent: StockAgent) -> None:
            async with gate:
                answer = await agent.connect()
                if answer.status != 101:
                    raise RuntimeError(f"refused: {answer.status} {answer.body!r}")
                await agent.receive()

        rss0, cpu0, t0 = rss_kib(pid), cpu_seconds(pid), time.monotonic()
        await asyncio.gather(*(connect(a) for a in clients))
        connected = (time.monotonic() - t0, cpu_seconds(pid) - cpu0)
        per_session = (rss_kib(pid) - rss0) / agents
        phases = []
        for _ in (1, 2):
            await asyncio.sleep(1.1)  # event timestamps are whole seconds
            since = int(time.time())
            cpu0, t0 = cpu_seconds(pid), time.monotonic()
            await asyncio.gather(*(a.keepalive() for a in clients))
            await until(lambda s=since: _stored_keepalives(url, s) >= agents)
            phases.append((time.monotonic() - t0, cpu_seconds(pid) - cpu0))
        for agent in clients:
            await agent.close()
        print(f"agents: {agents} (SQLite, one backend)")
        print(f"baseline GET /health on the agent port: {health_cpu * 1e3:.2f} ms server CPU each")
        print(
            f"connect + first entity_config: {connected[0]:.2f} s wall, "
            f"{connected[1] / agents * 1e3:.2f} ms server CPU per agent "
            f"({connected[1] / agents / health_cpu:.1f}x a /health), "
            f"RSS {per_session:.1f} KiB per session"
        )
        for label, (wall, cpu) in zip(("first keepalive (registration)", "steady keepalive"),
                                      phases, strict=True):  # fmt: skip
            print(
                f"{label}: {wall:.2f} s wall, {cpu / agents * 1e3:.2f} ms server CPU each "
                f"({cpu / agents / health_cpu:.1f}x a /health; "
                f"{agents / cpu:.0f} per CPU second)"
            )
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _stored_keepalives(url: str, since: int) -> int:
    """Keepalive events stored with a timestamp from ``since`` on."""
    token = httpx.get(f"{url}/auth", auth=("admin", "P@ssw0rd!")).json()["access_token"]
    response = httpx.get(
        f"{url}/api/core/v2/namespaces/default/events",
        params={"fieldSelector": "event.check.name == keepalive"},
        headers={"Authorization": f"Bearer {token}"},
    )
    return sum(1 for event in response.json() if event["timestamp"] >= since)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="200 agents")
    args = parser.parse_args()
    asyncio.run(run(200 if args.quick else args.agents))


if __name__ == "__main__":
    main()
