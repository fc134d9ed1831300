"""Many agents against one backend, like Sensu's ``loadit``: ``python bench/agents_bench.py``.

Simulates ``--agents`` stock agents over real websockets (the handshake headers, binary
``<type>\\n<JSON>`` frames, a keepalive every 20 s, a check result for every request) against
a real ``vigil start`` subprocess, with one interval check subscribed by all of them. Reports:

- check requests delivered, against the runs the schedule promises in the window, and their
  lateness (receipt time minus the scheduled instant, which every backend computes the same
  way from the check's name) at p50/p99/max;
- results stored (the events' history lengths against the results the agents sent);
- the server's CPU (share of one core) and its RSS, per agent session;
- how long all agents take to reconnect after the backend restarts.

Baselines measured in the same run, because the machine is shared: the idle server's CPU
over the same window, and the lateness of a bare timer in this process (the noise floor).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets
from harness import admin_token, free_port, vigil, vigil_init

from vigil.schedulerd.timing import NS, next_interval_fire

CHECK = "bench-check"
SUBSCRIPTION = "bench"
KEEPALIVE_INTERVAL = 20
RETRY_MIN, RETRY_MAX = 1.0, 120.0  # the stock agent's reconnect back-off
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
AGENT_PASSWORD = "P@ssw0rd!"


# --- one simulated agent ---------------------------------------------------------------------


@dataclass
class Fleet:
    """What every simulated agent reports back."""

    receipts: list[tuple[float, int]] = field(default_factory=list)  # (received at, issued)
    results_sent: int = 0
    executed: list[int] = field(default_factory=list)  # ``executed`` of every result sent
    keepalives_sent: int = 0
    connected_at: dict[str, float] = field(default_factory=dict)
    errors: int = 0


def _entity(name: str) -> dict[str, Any]:
    return {
        "entity_class": "agent",
        "system": {"hostname": name, "os": "linux", "platform": "debian", "arch": "amd64",
                   "network": {"interfaces": None}, "libc_type": "glibc",
                   "vm_system": "", "vm_role": "", "cloud_provider": "", "processes": None},
        "subscriptions": [SUBSCRIPTION, f"entity:{name}"],
        "last_seen": 0,
        "deregister": False,
        "deregistration": {},
        "user": "agent",
        "redact": ["password", "passwd", "pass", "api_key", "api_token", "access_key",
                   "secret_key", "private_key", "secret"],
        "sensu_agent_version": "6.12.0",
        "metadata": {"name": name, "namespace": "default"},
    }  # fmt: skip


class SimAgent:
    def __init__(self, name: str, url: str, fleet: Fleet, user: str) -> None:
        self.name, self.url, self.fleet = name, url, fleet
        self.entity = _entity(name)
        self.sequence = 0
        token = base64.b64encode(f"{user}:{AGENT_PASSWORD}".encode()).decode()
        self.headers = {
            "Sensu-Namespace": "default",
            "Sensu-AgentName": name,
            "Sensu-User": user,
            "Sensu-Subscriptions": SUBSCRIPTION,
            "Authorization": f"Basic {token}",
            "Accept": "application/octet-stream",
        }

    def _event(self, check: dict[str, Any]) -> bytes:
        self.sequence += 1
        event = {
            "timestamp": int(time.time()),
            "entity": self.entity,
            "check": check,
            "metadata": {"namespace": "default"},
            "id": str(uuid.uuid4()),
            "sequence": self.sequence,
            "pipelines": None,
        }
        return json.dumps(event).encode()

    def keepalive(self) -> bytes:
        check = {
            "metadata": {"name": "keepalive", "namespace": "default"},
            "interval": KEEPALIVE_INTERVAL,
            "timeout": 120,
            "ttl": 180,
            "handlers": None,
        }
        return b"keepalive\n" + self._event(check)  # fmt: skip

    def result(self, request: dict[str, Any]) -> bytes:
        now = time.time()
        check = dict(request.get("config") or {})
        self.fleet.executed.append(int(now))
        check.update(executed=int(now), issued=request.get("issued", 0), output="ok\n",
                     status=0, duration=0.001, processed_by=self.name)  # fmt: skip
        return b"event\n" + self._event(check)

    async def run(self) -> None:
        delay = RETRY_MIN
        while True:
            try:
                async with websockets.connect(
                    self.url, additional_headers=self.headers, open_timeout=15,
                    ping_interval=30, ping_timeout=45, max_size=None,
                ) as ws:  # fmt: skip
                    delay = RETRY_MIN
                    await self._session(ws)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.fleet.errors += 1
            await asyncio.sleep(delay * random.uniform(0.9, 1.1))
            delay = min(delay * 2, RETRY_MAX)

    async def _session(self, ws: Any) -> None:
        first = await asyncio.wait_for(ws.recv(), 10)
        if not bytes(first).startswith(b"entity_config\n"):
            raise RuntimeError("the first message was not an entity_config")
        self.fleet.connected_at[self.name] = time.monotonic()
        keepalives = asyncio.create_task(self._keepalives(ws))
        try:
            async for frame in ws:
                kind, _, payload = bytes(frame).partition(b"\n")
                if kind == b"check_request":
                    request = json.loads(payload)
                    self.fleet.receipts.append((time.time(), int(request.get("issued", 0))))
                    await ws.send(self.result(request))
                    self.fleet.results_sent += 1
        finally:
            keepalives.cancel()

    async def _keepalives(self, ws: Any) -> None:
        while True:
            await ws.send(self.keepalive())
            self.fleet.keepalives_sent += 1
            await asyncio.sleep(KEEPALIVE_INTERVAL)


# --- the server --------------------------------------------------------------------------


class Server:
    """``vigil start`` as a subprocess on fixed ports, so it can be restarted in place."""

    def __init__(self, state: Path, flags: list[str]) -> None:
        self.state, self.flags = state, flags
        self.api_port, self.agent_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.api_port}"
        self.agent_url = f"ws://127.0.0.1:{self.agent_port}/"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.state / "server.log").open("ab")
        self.proc = subprocess.Popen(
            vigil("start", "--state-dir", str(self.state),
                  "--api-listen-address", f"127.0.0.1:{self.api_port}",
                  "--agent-host", "127.0.0.1", "--agent-port", str(self.agent_port),
                  "--access-token-ttl", "86400", *self.flags),
            stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip

    async def ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise RuntimeError(f"vigil start exited; see {self.state / 'server.log'}")
                try:
                    if (await client.get(f"{self.url}/health", timeout=1)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError("vigil start did not become healthy")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=60)
            self.proc = None

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICK

    def rss_mb(self) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


# --- measuring ----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def timer_noise(seconds: float) -> list[float]:
    """Oversleep of a bare asyncio timer in this process: the machine's noise floor."""
    late: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        target = time.monotonic() + 0.1
        await asyncio.sleep(0.1)
        late.append(time.monotonic() - target)
    return late


async def connect_all(agents: list[SimAgent], fleet: Fleet, timeout: float) -> float:
    """Wait until every agent has started a session since ``fleet.connected_at`` was
    cleared (an entity config received)."""
    start = time.monotonic()
    deadline, report = start + timeout, start + 10
    while len(fleet.connected_at) < len(agents):
        done = len(fleet.connected_at)
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done}/{len(agents)} agents connected")
        if time.monotonic() > report:
            print(f"  {done}/{len(agents)} connected", file=sys.stderr)
            report += 10
        await asyncio.sleep(0.05)
    return time.monotonic() - start


def agent_user(url: str, token: str, cost: int) -> str:
    """The agents' user: the seeded ``agent`` at Sensu's cost (10), else a member of
    ``system:agents`` whose bcrypt hash has ``cost`` (cheaper handshakes)."""
    if cost == 10:
        return "agent"
    import bcrypt

    digest = bcrypt.hashpw(AGENT_PASSWORD.encode(), bcrypt.gensalt(cost)).decode()
    user = {"username": "bench-agents", "password_hash": digest, "groups": ["system:agents"]}
    httpx.put(f"{url}/api/core/v2/users/bench-agents", json=user,
              headers={"Authorization": f"Bearer {token}"}).raise_for_status()  # fmt: skip
    return "bench-agents"


def scheduler_lateness(url: str) -> tuple[float, float]:
    """(sum, count) of the server's own tick lateness (scheduled instant to requests queued)."""
    text = httpx.get(f"{url}/metrics", timeout=30).text
    values = {}
    for line in text.splitlines():
        if line.startswith("vigil_scheduler_lateness_seconds_"):
            name, _, value = line.partition(" ")
            values[name] = float(value)
    return values.get("vigil_scheduler_lateness_seconds_sum", 0.0), values.get(
        "vigil_scheduler_lateness_seconds_count", 0.0
    )


async def stored_results(url: str, token: str, first: int, last: int) -> int:
    """Results with ``executed`` in [first, last] found in the events' histories (which keep
    21 entries: the window must stay shorter than 21 intervals)."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as client:
        response = await client.get(f"{url}/api/core/v2/namespaces/default/events", timeout=120)
        response.raise_for_status()
        return sum(
            1
            for event in response.json()
            if event["check"]["metadata"]["name"] == CHECK
            for entry in event["check"].get("history") or []
            if first <= entry["executed"] <= last
        )


async def bench(args: argparse.Namespace, state: Path) -> dict[str, Any]:
    flags = ["--store", "postgres", "--pg-url", args.pg_url] if args.pg_url else []
    vigil_init(state, flags)
    server = Server(state, flags)
    server.start()
    await server.ready()
    token = admin_token(server.url)
    check = {
        "metadata": {"name": CHECK, "namespace": "default"},
        "command": "true", "interval": args.interval, "subscriptions": [SUBSCRIPTION],
        "publish": True, "handlers": [],
    }  # fmt: skip
    httpx.put(f"{server.url}/api/core/v2/namespaces/default/checks/{CHECK}", json=check,
              headers={"Authorization": f"Bearer {token}"}).raise_for_status()  # fmt: skip

    idle_cpu0, idle_t0 = server.cpu_seconds(), time.monotonic()
    await asyncio.sleep(args.idle_seconds)
    idle_cpu = (server.cpu_seconds() - idle_cpu0) / (time.monotonic() - idle_t0)
    rss_before = server.rss_mb()

    fleet = Fleet()
    user = agent_user(server.url, token, args.bcrypt_cost)
    agents = [
        SimAgent(f"bench-agent-{i:05d}", server.agent_url, fleet, user) for i in range(args.agents)
    ]
    tasks: list[asyncio.Task[None]] = []
    connect_started = time.monotonic()
    for start in range(0, len(agents), args.ramp):
        tasks += [asyncio.create_task(a.run()) for a in agents[start : start + args.ramp]]
        await asyncio.sleep(0.1)
    await connect_all(agents, fleet, timeout=1800)
    connect_seconds = time.monotonic() - connect_started
    print("  all connected; measuring", file=sys.stderr)
    await asyncio.sleep(2)
    rss_after = server.rss_mb()

    # The measured window: every scheduled run inside it must reach every agent.
    fleet.receipts.clear()
    cpu0, t0_mono, t0 = server.cpu_seconds(), time.monotonic(), time.time()
    client0 = time.process_time()
    tick_sum0, ticks0 = scheduler_lateness(server.url)
    noise = asyncio.create_task(timer_noise(args.seconds))
    await asyncio.sleep(args.seconds)
    cpu = (server.cpu_seconds() - cpu0) / (time.monotonic() - t0_mono)
    client_cpu = (time.process_time() - client0) / (time.monotonic() - t0_mono)
    t1 = time.time()
    tick_sum1, ticks1 = scheduler_lateness(server.url)
    noise_late = await noise
    receipts = list(fleet.receipts)

    interval_ns = args.interval * NS
    first = next_interval_fire(CHECK, args.interval, int(t0 * NS))
    fires = list(range(first, int(t1 * NS) - 5 * NS, interval_ns))
    wanted = set(fires)
    lateness, delivered = [], 0
    for received, _issued in receipts:
        at = int(received * NS)
        fire = first + ((at - first) // interval_ns) * interval_ns
        if fire in wanted:
            delivered += 1
            lateness.append((at - fire) / NS)
    expected = len(fires) * args.agents

    await asyncio.sleep(5)  # let the last results land
    first_s, last_s = int(t0) + 1, int(t1)
    results_sent = sum(1 for e in fleet.executed if first_s <= e <= last_s)
    stored = await stored_results(server.url, token, first_s, last_s)

    # Restart the backend in place; the agents come back with the stock back-off.
    print("  restarting the backend", file=sys.stderr)
    restart_at = time.monotonic()
    fleet.connected_at.clear()  # from here on, only sessions with the new process count
    server.stop()
    server.start()
    await server.ready()
    ready_at = time.monotonic()
    try:
        await connect_all(agents, fleet, timeout=args.reconnect_timeout)
    except RuntimeError as exc:
        print(f"  {exc} after the restart", file=sys.stderr)
    back_at = max(fleet.connected_at.values(), default=float("nan"))
    reconnected = len(fleet.connected_at)

    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    server.stop()
    return {
        "agents": args.agents,
        "interval": args.interval,
        "store": "postgres" if args.pg_url else "sqlite",
        "agent_password_bcrypt_cost": args.bcrypt_cost,
        "window_seconds": args.seconds,
        "connect_seconds": round(connect_seconds, 2),
        "scheduled_runs_in_window": len(fires),
        "requests_expected": expected,
        "requests_delivered": delivered,
        "lateness_p50_ms": round(percentile(lateness, 0.5) * 1000, 1),
        "lateness_p99_ms": round(percentile(lateness, 0.99) * 1000, 1),
        "lateness_max_ms": round(max(lateness, default=float("nan")) * 1000, 1),
        "server_tick_to_queued_mean_ms": round(
            (tick_sum1 - tick_sum0) / max(1.0, ticks1 - ticks0) * 1000, 2
        ),
        "timer_noise_p50_ms": round(percentile(noise_late, 0.5) * 1000, 1),
        "timer_noise_p99_ms": round(percentile(noise_late, 0.99) * 1000, 1),
        "results_sent_in_window": results_sent,
        "results_stored_in_window": stored,
        "keepalives_sent": fleet.keepalives_sent,
        "server_cpu_core_share": round(cpu, 3),
        "server_idle_cpu_core_share": round(idle_cpu, 3),
        "bench_client_cpu_core_share": round(client_cpu, 3),
        "server_rss_mb_before": round(rss_before, 1),
        "server_rss_mb_with_agents": round(rss_after, 1),
        "rss_kb_per_session": round((rss_after - rss_before) * 1024 / args.agents, 1),
        "reconnected_agents": reconnected,
        "reconnect_seconds_from_restart": round(back_at - restart_at, 2),
        "reconnect_seconds_from_ready": round(back_at - ready_at, 2),
        "client_errors": fleet.errors,
        "mean_lateness_ms": round(statistics.fmean(lateness) * 1000, 1) if lateness else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--interval", type=int, default=10, help="the check's interval, s")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured window, s")
    parser.add_argument("--idle-seconds", type=float, default=5.0, help="idle baseline, s")
    parser.add_argument("--ramp", type=int, default=50, help="agents started per 0.1 s")
    parser.add_argument(
        "--bcrypt-cost", type=int, default=10,
        help="bcrypt cost of the agents' password (10 = Sensu's and the seeded agent user's)",
    )  # fmt: skip
    parser.add_argument("--reconnect-timeout", type=float, default=600.0, help="seconds")
    parser.add_argument("--pg-url", default="", help="run on PostgreSQL (a scratch database)")
    parser.add_argument("--quick", action="store_true", help="50 agents, a 25 s window")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.quick:
        args.agents, args.seconds = 50, 25.0
    state = Path(tempfile.mkdtemp(prefix="vigil-agents-bench-"))
    try:
        if args.pg_url:
            from harness import scratch_database

            with scratch_database(args.pg_url) as url:
                args.pg_url = url
                figures = asyncio.run(bench(args, state))
        else:
            figures = asyncio.run(bench(args, state))
    finally:
        shutil.rmtree(state, ignore_errors=True)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
    ok = figures["requests_delivered"] == figures["requests_expected"]
    ok = ok and figures["results_stored_in_window"] == figures["results_sent_in_window"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
