"""``make soak``: 64 clients against a real ``vigil start`` that is SIGKILLed and restarted at
random moments, on SQLite and on PostgreSQL; then a calm phase to see memory settle.

    .venv/bin/python bench/soak.py [--seconds 40] [--calm 20] [--clients 64]

Loopback only; it stops by itself. Each client mixes reads (lists, single GETs), writes
(check PUTs, each to a new name) and event ingestion (each to a new check name). Every write the
server acknowledged (2xx) is remembered; at the end each must be readable: ``acknowledged then
lost`` must be 0. Connection errors while the server is down are expected and counted apart;
``errors`` counts answers that should not happen (5xx, unexpected 4xx). RSS is the server's,
after the calm phase's warm-up and at its end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

ADMIN, PASSWORD = "admin", "P@ssw0rd!"
PG_URL = os.environ.get("VIGIL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
NS = "/api/core/v2/namespaces/default"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Tally:
    requests: int = 0
    errors: int = 0
    down: int = 0  # connection refused/reset while the server was being killed
    kills: int = 0
    checks: set[str] = field(default_factory=set)  # acknowledged check names
    events: set[tuple[str, str]] = field(default_factory=set)  # acknowledged (entity, check)
    samples: list[str] = field(default_factory=list)


class Server:
    def __init__(self, state: Path, store_args: list[str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [
            sys.executable, "-m", "vigil", "start", "--state-dir", str(state),
            "--api-listen-address", f"127.0.0.1:{self.port}", *store_args,
        ]  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.proc = subprocess.Popen(
            self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        async with httpx.AsyncClient() as client:
            for _ in range(600):
                try:
                    if (await client.get(f"{self.url}/health", timeout=1)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("vigil start did not come up")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)

    def rss_kib(self) -> int:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


def shared_client(token: str, clients: int) -> httpx.AsyncClient:
    """One pool of ``clients`` connections for every worker (a client each costs the
    load generator more CPU than the requests)."""
    return httpx.AsyncClient(
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        limits=httpx.Limits(max_connections=clients, max_keepalive_connections=clients),
    )


async def client_loop(
    worker: int, server: Server, client: httpx.AsyncClient, tally: Tally, until: float
) -> None:
    seq = 0
    while time.monotonic() < until:
        seq += 1
        kind = random.random()
        name = f"soak-{worker}-{seq}"
        try:
            if kind < 0.35:
                path = random.choice(["checks", "events", "entities"])
                response = await client.get(f"{server.url}{NS}/{path}?limit=50")
                expected: tuple[int, ...] = (200,)
            elif kind < 0.65:
                body = {"metadata": {"name": name}, "command": "true", "interval": 60}
                response = await client.put(f"{server.url}{NS}/checks/{name}", json=body)
                expected = (200, 201)
                if response.status_code in expected:
                    tally.checks.add(name)
            else:
                entity = f"soak-e{worker}"
                event = {
                    "entity": {"metadata": {"name": entity}},
                    "check": {"metadata": {"name": name}, "status": seq % 3, "output": "x"},
                }
                response = await client.post(f"{server.url}{NS}/events", json=event)
                expected = (200, 201)
                if response.status_code in expected:
                    tally.events.add((entity, name))
            tally.requests += 1
            if response.status_code not in expected:
                tally.errors += 1
                if len(tally.samples) < 5:
                    tally.samples.append(f"{response.status_code} {response.text[:120]}")
        except httpx.TransportError:
            tally.down += 1
            await asyncio.sleep(0.05)


async def killer(server: Server, tally: Tally, until: float) -> None:
    while True:
        await asyncio.sleep(random.uniform(2.0, 6.0))
        if time.monotonic() >= until:
            return
        server.kill()
        tally.kills += 1
        await asyncio.sleep(random.uniform(0.0, 0.5))
        await server.start()


async def login(url: str) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{url}/auth", auth=(ADMIN, PASSWORD))
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token


async def verify(server: Server, token: str, tally: Tally) -> int:
    """Acknowledged writes that cannot be read back."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=120) as client:
        checks = (await client.get(f"{server.url}{NS}/checks")).json()
        events = (await client.get(f"{server.url}{NS}/events")).json()
    have_checks = {c["metadata"]["name"] for c in checks}
    have_events = {
        (e["entity"]["metadata"]["name"], e["check"]["metadata"]["name"]) for e in events
    }
    return len(tally.checks - have_checks) + len(tally.events - have_events)


async def soak(store: str, seconds: float, calm: float, clients: int) -> bool:
    work = Path(tempfile.mkdtemp(prefix="vigil-soak-"))
    store_args: list[str] = []
    database = ""
    if store == "postgres":
        database = f"vigil_soak_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        store_args = ["--store", "postgres", "--pg-url", PG_URL.rsplit("/", 1)[0] + "/" + database]
    env = {**os.environ, "VIGIL_CLUSTER_ADMIN_USERNAME": ADMIN,
           "VIGIL_CLUSTER_ADMIN_PASSWORD": PASSWORD}  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "vigil", "init", "--state-dir", str(work / "data"), *store_args],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    server = Server(work / "data", store_args)
    tally = Tally()
    try:
        await server.start()
        token = await login(server.url)
        until = time.monotonic() + seconds
        async with shared_client(token, clients) as client:
            await asyncio.gather(
                killer(server, tally, until),
                *(client_loop(n, server, client, tally, until) for n in range(clients)),
            )
        # Calm phase: no kills; RSS after warm-up and at the end.
        calm_tally = Tally()
        warm = time.monotonic() + calm / 3
        end = time.monotonic() + calm
        async with shared_client(token, clients) as client:
            loops = [client_loop(n, server, client, calm_tally, end) for n in range(clients)]
            task = asyncio.gather(*loops)
            await asyncio.sleep(max(0.0, warm - time.monotonic()))
            rss_before = server.rss_kib()
            await task
            rss_after = server.rss_kib()
        tally.requests += calm_tally.requests
        tally.errors += calm_tally.errors
        tally.down += calm_tally.down
        tally.checks |= calm_tally.checks
        tally.events |= calm_tally.events
        tally.samples += calm_tally.samples
        # One more SIGKILL after the last acknowledged write, then read everything back.
        server.kill()
        tally.kills += 1
        await server.start()
        lost = await verify(server, token, tally)
    finally:
        server.stop()
        if database:
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    acknowledged = len(tally.checks) + len(tally.events)
    print(
        f"{store:<9} requests={tally.requests} errors={tally.errors} "
        f"unreachable_during_kills={tally.down} kills={tally.kills} "
        f"acknowledged_writes={acknowledged} acknowledged_then_lost={lost} "
        f"rss_kib_after_warmup={rss_before} rss_kib_at_end={rss_after}",
        flush=True,
    )
    for sample in tally.samples:
        print(f"  error sample: {sample}")
    return lost == 0 and tally.errors == 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=40.0, help="phase with SIGKILLs")
    parser.add_argument("--calm", type=float, default=20.0, help="phase without kills")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args()
    ok = True
    for store in args.stores.split(","):
        ok &= asyncio.run(soak(store, args.seconds, args.calm, args.clients))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
