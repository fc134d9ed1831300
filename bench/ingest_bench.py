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
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from harness import (
    Backend,
    admin_token,
    drive,
    event_body,
    get_request,
    post_request,
    vigil_init,
    vigil_start,
)

ENTITIES, CHECKS = 200, 5
CONCURRENCY = (1, 8, 64)
MODES = {"off": [], "set": ["quiet"], "pipe": ["true"]}
STATUSES = (0, 0, 0, 0, 1, 2)  # mostly OK, with enough changes to move state and history


# --- the server -----------------------------------------------------------------------------


@contextmanager
def vigil_server(state: Path, cpu: int | None) -> Iterator[Backend]:
    """``vigil init`` + ``vigil start`` (pinned to ``cpu``); yields the running server."""
    vigil_init(state)
    with vigil_start(state, wrapper=["taskset", "-c", str(cpu)] if cpu is not None else []) as srv:
        yield srv


def prepare(url: str) -> str:
    """A token, one namespace per mode, and the two handlers; returns the token."""
    token = admin_token(url)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        for mode in MODES:
            client.post("/api/core/v2/namespaces", json={"name": mode}).raise_for_status()
            api = f"/api/core/v2/namespaces/{mode}/handlers"
            client.post(api, json={"metadata": {"name": "quiet"}, "type": "set", "handlers": []})
            client.post(api, json={"metadata": {"name": "true"}, "type": "pipe", "command": "true"})
    return token


# --- the workload ----------------------------------------------------------------------------


def event_requests(mode: str, token: str, count: int = 4000) -> list[bytes]:
    """Pre-encoded requests, so the client spends its time on the wire, not on JSON."""
    rng = random.Random(42)
    path = f"/api/core/v2/namespaces/{mode}/events"
    out = []
    for i in range(count):
        key = i % (ENTITIES * CHECKS)
        status = rng.choice(STATUSES)
        output = f"{'OK' if status == 0 else 'CRITICAL'}: value {rng.random():.4f}" + " detail" * 10
        entity, check = f"host-{key % ENTITIES:03d}", f"check-{key // ENTITIES}"
        out.append(
            post_request(path, token, event_body(entity, check, status, output, MODES[mode]))
        )
    return out


async def send_each(url: str, requests: list[bytes], clients: int) -> None:
    """Send every request exactly once over ``clients`` connections (warm-up)."""
    await drive([url], requests, clients, None)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the server process has used (its own, not its children's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def paired(
    server: Backend, requests: list[bytes], baseline: list[bytes], clients: int,
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
        count, took = await drive([url], requests, clients, work)
        cpu += cpu_seconds(pid)
        done, elapsed = done + count, elapsed + took
        count, took = await drive([url], baseline, clients, work / 2)
        base_done, base_elapsed = base_done + count, base_elapsed + took
        left -= work
    return done / elapsed, base_done / base_elapsed, cpu / done * 1e6


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
        url = srv.url
        token = prepare(url)
        pinned = server_cpu is not None
        where = ("on CPU 0", "on CPU 1") if pinned else ("unpinned", "unpinned")
        print(f"vigil start (SQLite) {where[0]}, client {where[1]}, {seconds:g} s per cell")
        workloads = {mode: event_requests(mode, token) for mode in MODES}
        await send_each(url, workloads["off"][: ENTITIES * CHECKS], 8)
        item = "/api/core/v2/namespaces/off/events/host-000/check-0"
        sample = httpx.get(url + item, headers={"Authorization": f"Bearer {token}"}).content
        health = b"GET /health HTTP/1.1\r\nHost: bench\r\n\r\n"
        read = get_request(item, token)
        base_sqlite = sqlite_baseline(Path(tmp) / "raw.db", len(sample), seconds)

        print(f"\n| {'case':<26} | {'N':>3} | {'per s':>9} | ratio to baselines "
              "| CPU µs | pipeline |")  # fmt: skip
        print(f"|{'-' * 28}|{'-' * 5}|{'-' * 11}|{'-' * 20}|--------|----------|")
        print(row("raw sqlite3 100/txn", "-", base_sqlite, {"sqlite": base_sqlite}, None, ""))
        for clients in CONCURRENCY:
            value, base, cpu = await paired(srv, [read], [health], clients, seconds)
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
