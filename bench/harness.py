"""What the benchmarks share: ports, scratch databases, real ``vigil`` processes, a lean client.

Each benchmark runs alone as ``python bench/<name>.py`` (this folder is then on ``sys.path``,
so it imports this module as ``harness``). Keeping these pieces in one place means every
benchmark starts servers and speaks HTTP the same way, so their figures stay comparable.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import psycopg
from psycopg.conninfo import make_conninfo

ADMIN, PASSWORD = "admin", "P@ssw0rd!"


def free_port() -> int:
    """A port nobody listens on now, so several servers (and runs) never collide."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def vigil(*args: str) -> list[str]:
    """The ``vigil`` command line with this interpreter, so the venv's install is measured."""
    return [sys.executable, "-m", "vigil", *args]


def admin_token(url: str) -> str:
    """An access token for the benchmark admin (``ADMIN``, ``PASSWORD``)."""
    token: str = httpx.get(f"{url}/auth", auth=(ADMIN, PASSWORD)).json()["access_token"]
    return token


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A fresh PostgreSQL database next to ``url``'s, dropped afterwards; yields its conninfo.

    Every measurement starts from an empty database, and nothing is left behind on the server.
    """
    name = f"vigil_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_conninfo(url, dbname=name)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def vigil_init(state: Path, flags: Sequence[str] = ()) -> None:
    """``vigil init`` with the benchmark admin: the same first step an operator takes."""
    subprocess.run(
        vigil("init", "--state-dir", str(state), "--cluster-admin-username", ADMIN,
              "--cluster-admin-password", PASSWORD, *flags),
        check=True, capture_output=True,
    )  # fmt: skip


class Backend(NamedTuple):
    """A running ``vigil start``: its base URL and its pid (for reading its CPU time)."""

    url: str
    pid: int


@contextmanager
def vigil_start(
    state: Path, flags: Sequence[str] = (), wrapper: Sequence[str] = ()
) -> Iterator[Backend]:
    """``vigil start`` on a free port as a real process; yields it once ``/health`` answers.

    ``wrapper`` goes before the command (e.g. ``taskset -c 0``, which execs it: same pid).
    Tokens live a day so no run outlasts one; stderr goes to ``server-<port>.log`` in ``state``.
    """
    port = free_port()
    log = (state / f"server-{port}.log").open("wb")
    proc = subprocess.Popen(
        [*wrapper, *vigil("start", "--state-dir", str(state),
                          "--api-listen-address", f"127.0.0.1:{port}",
                          "--agent-port", str(free_port()),
                          "--dashboard-port", str(free_port()),
                          "--access-token-ttl", "86400", *flags)],
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
        yield Backend(url, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


# --- a minimal keep-alive HTTP/1.1 client ---------------------------------------------------


class Connection:
    """One keep-alive connection sending pre-encoded requests; ``request`` returns the status.

    Several times cheaper per request than httpx, so the client does not hide the server.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, url: str) -> Connection:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer)

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


def get_request(path: str, token: str) -> bytes:
    """A pre-encoded authenticated GET."""
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n".encode()


def post_request(path: str, token: str, body: bytes) -> bytes:
    """A pre-encoded authenticated POST of a JSON ``body``."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def event_body(
    entity: str, check: str, status: int, output: str, handlers: Sequence[str] | None = None
) -> bytes:
    """A check result as an agent posts it (JSON for ``POST .../events``), executed now."""
    result: dict[str, Any] = {
        "metadata": {"name": check},
        "status": status,
        "output": output,
        "interval": 60,
    }
    if handlers is not None:
        result["handlers"] = list(handlers)
    result["executed"] = int(time.time())
    return json.dumps({"entity": {"metadata": {"name": entity}}, "check": result}).encode()


async def drive(
    urls: Sequence[str], requests: Sequence[bytes], clients: int, seconds: float | None
) -> tuple[int, float]:
    """(requests acknowledged, seconds taken) from ``clients`` connections spread over ``urls``.

    With ``seconds`` None each request is sent exactly once (a fill or a warm-up); otherwise
    they are cycled until time is up. Any status but 200 or 201 stops the run, so an error
    is never counted as work done.
    """
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
    return sum(done), time.perf_counter() - start
