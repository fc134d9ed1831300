"""Event ingest and list pages: SQLite vs PostgreSQL with one backend vs with two backends.

    .venv/bin/python bench/cluster_bench.py [--quick] [--seconds 6] [--pg-url postgresql://...]

Three setups, each started fresh with the real commands (``vigil init`` then ``vigil start``):

* ``sqlite``: one backend on its SQLite file (the baseline of every ratio);
* ``pg x1``: one backend on a fresh PostgreSQL database;
* ``pg x2``: two backends on one fresh database; clients alternate between them.

Each setup is first filled with 10,000 events (1,000 entities x 10 checks, 64 clients; the
fill rate is reported too). Then ``ingest`` posts results for those events (statuses vary, so
state and history do real work) from 8 and 64 keep-alive connections; an event counts once
its 201 arrived, i.e. after its COMMIT. ``list`` asks for pages of
``GET /api/core/v2/namespaces/default/events?limit=100`` from 8 connections, each request a
random one of the 100 pages (``continue`` tokens collected beforehand), so the keyset query
runs at every depth. Everything (clients, backends, PostgreSQL) shares this machine's CPUs,
nothing is pinned; the client is a minimal asyncio HTTP/1.1 client, several times cheaper per
request than httpx. Ratios compare each figure with the SQLite figure of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg
from psycopg.conninfo import make_conninfo

ADMIN, PASSWORD = "admin", "P@ssw0rd!"
ENTITIES, CHECKS = 1000, 10
EVENTS = "/api/core/v2/namespaces/default/events"
STATUSES = (0, 0, 0, 0, 1, 2)
INGEST_CLIENTS = (8, 64)
LIST_CLIENTS = 8


# --- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def vigil(*args: str) -> list[str]:
    return [sys.executable, "-m", "vigil", *args]


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    name = f"vigil_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_conninfo(url, dbname=name)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@contextmanager
def backend(state: Path, store_flags: Sequence[str]) -> Iterator[str]:
    """One ``vigil start`` process; yields its base URL once it answers."""
    port = free_port()
    log = (state / f"server-{port}.log").open("wb")
    proc = subprocess.Popen(
        vigil("start", "--state-dir", str(state), "--api-listen-address", f"127.0.0.1:{port}",
              "--access-token-ttl", "86400", "--log-level", "warn", *store_flags),
        stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"vigil start failed; see {log.name}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


@contextmanager
def setup(name: str, root: Path, pg_url: str) -> Iterator[list[str]]:
    """The backends of setup ``name``; yields their URLs."""
    state = root / name.replace(" ", "")
    state.mkdir()
    with ExitStack() as stack:
        if name == "sqlite":
            flags: list[str] = []
            count = 1
        else:
            database = stack.enter_context(scratch_database(pg_url))
            flags = ["--store", "postgres", "--pg-url", database]
            count = 2 if name.endswith("x2") else 1
        subprocess.run(
            vigil("init", "--state-dir", str(state), "--cluster-admin-username", ADMIN,
                  "--cluster-admin-password", PASSWORD, *flags),
            check=True, capture_output=True,
        )  # fmt: skip
        yield [stack.enter_context(backend(state, flags)) for _ in range(count)]


# --- a minimal keep-alive HTTP/1.1 client ---------------------------------------------------------


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, url: str) -> Connection:
        host, port = url.removeprefix("http://").split(":")
        return cls(*await asyncio.open_connection(host, int(port)))

    async def request(self, raw: bytes) -> int:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self.reader.readexactly(length)
        return int(head[9:12])

    def close(self) -> None:
        self.writer.close()


def event_request(key: int, token: str, rng: random.Random) -> bytes:
    status = rng.choice(STATUSES)
    body = json.dumps(
        {
            "entity": {"metadata": {"name": f"host-{key % ENTITIES:04d}"}},
            "check": {
                "metadata": {"name": f"check-{key // ENTITIES}"},
                "status": status,
                "output": f"{'OK' if status == 0 else 'CRITICAL'}: {rng.random():.4f}"
                + " detail" * 10,
                "interval": 60,
                "executed": int(time.time()),
            },
        }
    ).encode()
    head = (
        f"POST {EVENTS} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def get_request(path: str, token: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n".encode()


async def drive(
    urls: list[str], requests: list[bytes], clients: int, seconds: float | None
) -> float:
    """Requests per second from ``clients`` connections spread over ``urls``. With ``seconds``
    None, send each request exactly once; otherwise cycle through them until time is up."""
    conns = [await Connection.open(urls[n % len(urls)]) for n in range(clients)]
    done = [0] * clients
    stop = None if seconds is None else time.perf_counter() + seconds

    async def worker(n: int) -> None:
        i = n
        while (i < len(requests)) if stop is None else (time.perf_counter() < stop):
            status = await conns[n].request(requests[i % len(requests)])
            if status not in (200, 201):
                raise RuntimeError(f"unexpected HTTP status {status}")
            done[n] += 1
            i += clients

    start = time.perf_counter()
    try:
        await asyncio.gather(*(worker(n) for n in range(clients)))
    finally:
        for conn in conns:
            conn.close()
    return sum(done) / (time.perf_counter() - start)


def page_paths(url: str, token: str) -> list[str]:
    """Every page of the event list, as request paths (walked once through Sensu-Continue)."""
    paths = [f"{EVENTS}?limit=100"]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        while True:
            token_next = client.get(paths[-1]).headers.get("sensu-continue")
            if not token_next:
                return paths
            paths.append(f"{EVENTS}?limit=100&continue={quote(token_next)}")


# --- measuring and reporting ----------------------------------------------------------------------


async def measure(urls: list[str], seconds: float) -> dict[str, float]:
    token: str = httpx.get(f"{urls[0]}/auth", auth=(ADMIN, PASSWORD)).json()["access_token"]
    rng = random.Random(7)
    keys = list(range(ENTITIES * CHECKS))
    figures = {
        "fill 10k, 64 clients": await drive(
            urls, [event_request(k, token, rng) for k in keys], 64, None
        )
    }
    rng.shuffle(keys)
    ingest = [event_request(k, token, rng) for k in keys[:4000]]
    for clients in INGEST_CLIENTS:
        figures[f"ingest, {clients} clients"] = await drive(urls, ingest, clients, seconds)
    paths = page_paths(urls[0], token)
    pages = [get_request(rng.choice(paths), token) for _ in range(1000)]
    figures[f"list page, {LIST_CLIENTS} clients"] = await drive(urls, pages, LIST_CLIENTS, seconds)
    return figures


def report(results: dict[str, dict[str, float]], command: str) -> None:
    setups = list(results)
    print(f"\n`{command}`\n")
    print("| workload | " + " | ".join(f"{s} req/s" for s in setups) + " | "
          + " | ".join(f"{s} / sqlite" for s in setups[1:]) + " |")  # fmt: skip
    print("|---|" + "---:|" * (2 * len(setups) - 1))
    for workload, base in results[setups[0]].items():
        values = [results[s][workload] for s in setups]
        ratios = [f"{v / base:.2f}x" for v in values[1:]]
        print(f"| {workload} | " + " | ".join(f"{v:,.0f}" for v in values) + " | "
              + " | ".join(ratios) + " |")  # fmt: skip


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per figure (about 1.5 min)")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args(argv)
    seconds = 3.0 if args.quick else args.seconds
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("sqlite", "pg x1", "pg x2"):
            with setup(name, Path(tmp), args.pg_url) as urls:
                results[name] = asyncio.run(measure(urls, seconds))
            print(name, {k: round(v) for k, v in results[name].items()}, flush=True)
    report(results, "python bench/cluster_bench.py " + " ".join(argv))


if __name__ == "__main__":
    main(sys.argv[1:])
