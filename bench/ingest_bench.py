"""Acknowledged events per second through ``POST /api/core/v2/namespaces/{ns}/events``.

    .venv/bin/python bench/ingest_bench.py [--quick] [--seconds 8] [--no-pin]

A real ``vigil start`` subprocess on SQLite (WAL, synchronous=FULL, group commit) receives
events for 200 entities x 5 checks (statuses vary, so history, occurrences and state do real
work) from 1, 8 and 64 concurrent keep-alive connections. An event counts once its 201 has
arrived, i.e. after its COMMIT. Three pipeline modes, each its own namespace:

* ``off``:  no handlers (nothing is queued for the pipeline);
* ``set``:  ``check.handlers: [quiet]``, a handler set without members: the pipeline resolves
  the set for every event (store lookups, logging) but starts no process;
* ``pipe``: ``check.handlers: [true]``, a pipe handler running ``true``: one process per event.

Baselines, measured in the same run: ``GET /health`` with the same client and concurrency (what
the HTTP stack alone allows), in 0.5 s slices alternating with 1 s slices of the workload so
both see the same machine (the reference VM is shared and drifts); raw sqlite3 ``executemany``
of event-sized rows in transactions of 100 with the same durability (what the disk allows);
and, for the pipeline modes, ``off`` at the same concurrency. ``GET one event`` (token
checked, RBAC, one read) is shown for scale. By default the server is pinned to CPU 0 and this
client to CPU 1 (``taskset``), so the client does not compete with the server; it is a minimal
asyncio HTTP/1.1 client with pre-encoded requests, several times cheaper per request than
httpx, and it stays below 100 % of its CPU at every concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ADMIN, PASSWORD = "admin", "P@ssw0rd!"
ENTITIES, CHECKS = 200, 5
CONCURRENCY = (1, 8, 64)
MODES = {"off": [], "set": ["quiet"], "pipe": ["true"]}
STATUSES = (0, 0, 0, 0, 1, 2)  # mostly OK, with enough changes to move state and history


# --- the server -----------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def vigil_server(state: Path, cpu: int | None) -> Iterator[tuple[str, int]]:
    """``vigil init`` + ``vigil start`` (pinned to ``cpu``); yields (base URL, its pid)."""
    vigil = [sys.executable, "-m", "vigil"]
    common = ["--state-dir", str(state)]
    subprocess.run(
        [*vigil, "init", *common, "--cluster-admin-username", ADMIN,
         "--cluster-admin-password", PASSWORD],
        check=True, capture_output=True,
    )  # fmt: skip
    port = _free_port()
    pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
    log = (state / "server.log").open("wb")
    proc = subprocess.Popen(
        [*pin, *vigil, "start", *common, "--api-listen-address", f"127.0.0.1:{port}",
         "--access-token-ttl", "86400"],
        stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"vigil start failed; see {state / 'server.log'}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url, proc.pid  # taskset execs the server: same pid
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


def prepare(url: str) -> str:
    """A token, one namespace per mode, and the two handlers; returns the token."""
    token: str = httpx.get(f"{url}/auth", auth=(ADMIN, PASSWORD)).json()["access_token"]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        for mode in MODES:
            client.post("/api/core/v2/namespaces", json={"name": mode}).raise_for_status()
            api = f"/api/core/v2/namespaces/{mode}/handlers"
            client.post(api, json={"metadata": {"name": "quiet"}, "type": "set", "handlers": []})
            client.post(api, json={"metadata": {"name": "true"}, "type": "pipe", "command": "true"})
    return token


# --- a minimal keep-alive HTTP/1.1 client -------------------------------------------------------


class Connection:
    """One keep-alive connection; ``request`` returns the status code."""

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
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


def post_request(path: str, token: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def event_requests(mode: str, token: str, count: int = 4000) -> list[bytes]:
    """Pre-encoded requests, so the client spends its time on the wire, not on JSON."""
    rng = random.Random(42)
    path = f"/api/core/v2/namespaces/{mode}/events"
    out = []
    for i in range(count):
        key = i % (ENTITIES * CHECKS)
        status = rng.choice(STATUSES)
        body = {
            "entity": {"metadata": {"name": f"host-{key % ENTITIES:03d}"}},
            "check": {
                "metadata": {"name": f"check-{key // ENTITIES}"},
                "status": status,
                "output": f"{'OK' if status == 0 else 'CRITICAL'}: value {rng.random():.4f}"
                + " detail" * 10,
                "interval": 60,
                "handlers": MODES[mode],
                "executed": int(time.time()),
            },
        }
        out.append(post_request(path, token, json.dumps(body).encode()))
    return out


async def send_each(url: str, requests: list[bytes], clients: int) -> None:
    """Send every request exactly once over ``clients`` connections (warm-up)."""
    conns = [await Connection.open(url) for _ in range(clients)]

    async def worker(n: int) -> None:
        for raw in requests[n::clients]:
            await conns[n].request(raw)

    try:
        await asyncio.gather(*(worker(n) for n in range(clients)))
    finally:
        for conn in conns:
            conn.close()


async def rate(url: str, requests: list[bytes], clients: int, seconds: float) -> float:
    """Acknowledged requests per second over ``seconds`` with ``clients`` connections."""
    done, elapsed = await drive(url, requests, clients, seconds)
    return done / elapsed


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the server process has used (its own, not its children's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def paired(
    server: tuple[str, int], requests: list[bytes], baseline: list[bytes], clients: int,
    seconds: float,
) -> tuple[float, float, float]:  # fmt: skip
    """(rate of ``requests``, rate of ``baseline``, server CPU µs per request of ``requests``).

    The reference machine is shared, so its speed drifts within a run; alternating 1 s of the
    workload with 0.5 s of the baseline puts both under the same conditions. CPU per request
    is the figure least disturbed by other load.
    """
    url, pid = server
    done = base_done = 0
    elapsed = base_elapsed = cpu = 0.0
    left = seconds
    while left > 0:
        work = min(1.0, left)
        cpu -= cpu_seconds(pid)
        count, took = await drive(url, requests, clients, work)
        cpu += cpu_seconds(pid)
        done, elapsed = done + count, elapsed + took
        count, took = await drive(url, baseline, clients, work / 2)
        base_done, base_elapsed = base_done + count, base_elapsed + took
        left -= work
    return done / elapsed, base_done / base_elapsed, cpu / done * 1e6


async def drive(url: str, requests: list[bytes], clients: int, seconds: float) -> tuple[int, float]:
    """(requests acknowledged, seconds taken) with ``clients`` connections for ``seconds``."""
    conns = [await Connection.open(url) for _ in range(clients)]
    counts = [0] * clients
    stop = time.perf_counter() + seconds

    async def worker(n: int) -> None:
        i = n
        while time.perf_counter() < stop:
            status = await conns[n].request(requests[i % len(requests)])
            if status not in (200, 201):
                raise RuntimeError(f"unexpected HTTP status {status}")
            counts[n] += 1
            i += clients

    start = time.perf_counter()
    try:
        await asyncio.gather(*(worker(n) for n in range(clients)))
    finally:
        for conn in conns:
            conn.close()
    return sum(counts), time.perf_counter() - start


# --- baselines and reporting --------------------------------------------------------------------


def sqlite_baseline(path: Path, value_size: int, seconds: float) -> float:
    """Raw sqlite3, WAL + FULL, upserts of ``value_size`` rows in transactions of 100."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(
        "CREATE TABLE events (entity TEXT, check_name TEXT, value BLOB,"
        " PRIMARY KEY (entity, check_name))"
    )
    sql = "INSERT OR REPLACE INTO events VALUES (?, ?, ?)"
    written, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        rows = [
            (f"host-{k % ENTITIES}", f"check-{k // ENTITIES}", os.urandom(value_size))
            for k in (random.randrange(ENTITIES * CHECKS) for _ in range(100))
        ]
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
        written += 100
    conn.close()
    return written / (time.perf_counter() - start)


def pipeline_counters(url: str) -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families

    out: dict[str, float] = {}
    for family in text_string_to_metric_families(httpx.get(f"{url}/metrics").text):
        for sample in family.samples:
            if sample.name.startswith("vigil_pipeline_") and sample.name.endswith("_total"):
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                out[sample.name + (f"{{{labels}}}" if labels else "")] = sample.value
    return out


def row(
    label: str, clients: int | str, value: float, bases: dict[str, float], cpu: float | None,
    pipeline: str,
) -> str:  # fmt: skip
    ratios = "  ".join(f"{value / base:6.3f}x {name}" for name, base in bases.items())
    shown = f"{cpu:6.0f}" if cpu is not None else ""
    return f"| {label:<26} | {clients!s:>3} | {value:>9,.0f} | {ratios} | {shown:>6} | {pipeline} |"


def drained(url: str, timeout: float = 120.0) -> dict[str, float]:
    """Wait until the pipeline counters stop moving (the queue has drained); return them."""
    last, deadline = pipeline_counters(url), time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = pipeline_counters(url)
        if now == last:
            return now
        last = now
    return last


def moved(before: dict[str, float], after: dict[str, float]) -> str:
    short = {
        "vigil_pipeline_handler_results_total": "handled",
        "vigil_pipeline_events_dropped_total": "dropped",
        "vigil_pipeline_filter_errors_total": "filter errors",
    }
    parts = []
    for key, value in after.items():
        if value != before.get(key, 0):
            name, _, labels = key.partition("{")
            parts.append(f"{short.get(name, name)}{{{labels} {value - before.get(key, 0):,.0f}")
    return ", ".join(parts) or "-"


async def run(args: argparse.Namespace) -> None:
    seconds = 3.0 if args.quick else args.seconds
    server_cpu: int | None = None
    if not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        server_cpu = 0
        os.sched_setaffinity(0, {1})
    with tempfile.TemporaryDirectory() as tmp, vigil_server(Path(tmp) / "state", server_cpu) as srv:
        url = srv[0]
        token = prepare(url)
        pinned = server_cpu is not None
        where = ("on CPU 0", "on CPU 1") if pinned else ("unpinned", "unpinned")
        print(f"vigil start (SQLite) {where[0]}, client {where[1]}, {seconds:g} s per cell")
        workloads = {mode: event_requests(mode, token) for mode in MODES}
        await send_each(url, workloads["off"][: ENTITIES * CHECKS], 8)
        item = "/api/core/v2/namespaces/off/events/host-000/check-0"
        sample = httpx.get(url + item, headers={"Authorization": f"Bearer {token}"}).content
        health = b"GET /health HTTP/1.1\r\nHost: bench\r\n\r\n"
        read = f"GET {item} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n"
        base_sqlite = sqlite_baseline(Path(tmp) / "raw.db", len(sample), seconds)

        print(f"\n| {'case':<26} | {'N':>3} | {'per s':>9} | ratio to baselines "
              "| CPU µs | pipeline |")  # fmt: skip
        print(f"|{'-' * 28}|{'-' * 5}|{'-' * 11}|{'-' * 20}|--------|----------|")
        print(row("raw sqlite3 100/txn", "-", base_sqlite, {"sqlite": base_sqlite}, None, ""))
        for clients in CONCURRENCY:
            value, base, cpu = await paired(srv, [read.encode()], [health], clients, seconds)
            print(row("GET one event (token)", clients, value, {"health": base}, cpu, ""))
        off: dict[int, float] = {}
        for mode, requests in workloads.items():
            if mode != "off":  # the first result of every key creates its entity: not measured
                await send_each(url, requests[: ENTITIES * CHECKS], 8)
            before = drained(url)
            for clients in CONCURRENCY:
                value, base, cpu = await paired(srv, requests, [health], clients, seconds)
                after = drained(url)
                off.setdefault(clients, value)
                bases = {"health": base, "sqlite": base_sqlite, "off": off[clients]}
                label = f"POST event, pipeline {mode}"
                print(row(label, clients, value, bases, cpu, moved(before, after)), flush=True)
                before = after
        print(f"\nstored event: {len(sample)} bytes of JSON")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per cell (about 1 minute)")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per cell")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and client")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
