"""Vigil against a bare ASGI app on the same stack, loaded by wrk; SQLite and PostgreSQL.

    .venv/bin/python bench/wrk_bench.py [--quick | --smoke] [--runs 3] [--seconds 3]
                                        [--stores sqlite,postgres] [--sizes 1000,10000,100000]

Servers are real processes on loopback: ``bench/bare.py`` (the baseline: uvicorn + uvloop +
httptools, as ``vigil start``) and ``vigil start``, both pinned to CPU 0 with ``taskset``;
``wrk`` (one thread) runs pinned to CPU 1. Each figure is measured ``--runs`` times,
alternating Vigil with its baseline cell by cell, so both see the same machine; the table
shows medians of the rates and the median of the per-run ratios (Vigil / baseline).

* ``GET check``: ``GET /api/core/v2/namespaces/default/checks/check-0`` with a JWT, and with an
  API key, vs the bare ``GET /small``;
* ``list 100 checks``: the unpaged list of 100 checks vs the bare 100-item list;
* ``ingest``: ``PUT /api/core/v2/namespaces/default/events/{entity}/{check}``, 1 KB events over
  10k keys (1,000 entities x 10 checks, statuses vary so state and history change), each
  acknowledged after its COMMIT, pipeline running with no handler, vs the bare typed POST
  echo, at 1, 8 and 64 connections; first on a store holding just those 10k events, then on
  stores already holding each ``--sizes`` of other events;
* ``page``: ``GET .../events?limit=100`` with field selectors (``==``, ``!=``, ``in``,
  ``matches``) and a label selector at every size, as a ratio to the unfiltered page;
* ``unpaged list``: every event at the largest size in one response: time and the server's
  peak RSS growth (``VmHWM`` after minus ``VmRSS`` before);
* ``bytes/event``: database bytes per stored event (21-entry history), from the growth
  between the smallest and the largest size.

The PostgreSQL server itself is not pinned (it shares both CPUs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import httpx
import psycopg
from harness import (
    ADMIN,
    PASSWORD,
    admin_token,
    drive,
    free_port,
    scratch_database,
    vigil_init,
    vigil_start,
)
from list_bench import event_put

from vigil.bootstrap import initialize_store
from vigil.settings import Settings
from vigil.store import open_store

HERE = Path(__file__).parent
SERVER_CPU, LOAD_CPU = "0", "1"
ENTITIES, CHECKS = 1000, 10  # --smoke: 10 x 10
SMOKE = False  # --smoke: one cell of each kind, to show the benchmark runs (make test)
EVENTS = "/api/core/v2/namespaces/default/events"
CHECK_PATH = "/api/core/v2/namespaces/default/checks"
QUERIES: dict[str, str] = {
    "unfiltered": "",
    "== (1 %)": "fieldSelector=" + quote('event.check.status == "1"'),
    "!= (50 %)": "fieldSelector=" + quote('event.check.status != "0"'),
    "in (2 entities)": "fieldSelector="
    + quote('event.entity.name in ["host-000042", "host-000777"]'),
    "matches (0.1 %, early)": "fieldSelector=" + quote('event.entity.name matches "00042"'),
    # Matches only the last 1 % of entities: a scan reads the whole table to find them.
    "matches (1 %, at the end)": "fieldSelector=" + quote('event.entity.name matches "-0099"'),
    "label (25 %)": "labelSelector=" + quote('region == "eu"'),
}
# store, case, values, ratios (rates), unit, Vigil's CPU µs per request, ratios (CPU)
Row = tuple[str, str, list[float], list[float], str, list[float], list[float]]
PIDS: dict[str, int] = {}  # server URL -> pid, for its CPU time


class Run(NamedTuple):
    """One measurement: requests per second, and the server's CPU µs per request (when
    known): the figure other load on the shared machine moves least."""

    rate: float
    cpu_us: float | None = None


def cpu_seconds(pid: int) -> float:
    """User + system CPU of every thread of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- wrk ------------------------------------------------------------------------------------

# Generated per request so every key gets ever-changing results; about 1 KB of JSON each.
INGEST_LUA = """
local token, entities, checks = "%(token)s", %(entities)d, %(checks)d
local statuses = {0, 0, 0, 0, 1, 2}
local pad = string.rep("x", 820)
local n = %(start)d
request = function()
  n = n + 1
  local key = n %% (entities * checks)
  local entity = string.format("host-%%04d", key %% entities)
  local check = string.format("check-%%d", math.floor(key / entities))
  local status = statuses[(math.floor(n / (entities * checks)) + key) %% 6 + 1]
  local body = string.format(
    '{"entity":{"metadata":{"name":"%%s","namespace":"default"},"entity_class":"proxy"},' ..
    '"check":{"metadata":{"name":"%%s","namespace":"default"},"status":%%d,' ..
    '"output":"%%s %%d %%s","interval":60,"executed":%%d}}',
    entity, check, status, status == 0 and "OK" or "CRITICAL", n, pad, os.time())
  return wrk.format("%(method)s", %(target)s,
    {["Authorization"] = token, ["Content-Type"] = "application/json"}, body)
end
"""


def which_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        sys.exit("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    return found


def wrk(url: str, path: str, conns: int, seconds: float, *, header: str = "", lua: str = "") -> Run:
    """Requests per second that wrk (one thread, pinned) got with only 2xx answers, and the
    server's CPU per request."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    cmd = ["taskset", "-c", LOAD_CPU, which_wrk(), "-t1", f"-c{conns}",
           f"-d{max(1, round(seconds))}s", "--timeout", "30s"]  # fmt: skip
    if header:
        cmd += ["-H", header]
    if lua:
        cmd += ["-s", script.name]
    pid = PIDS.get(url)
    cpu = cpu_seconds(pid) if pid else 0.0
    try:
        out = subprocess.run([*cmd, url + path], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    cpu = cpu_seconds(pid) - cpu if pid else 0.0
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if bad or (errors and re.search(r"(read|write|timeout) [1-9]", errors.group(1))):
        raise RuntimeError(f"wrk saw failures on {path}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    done = re.search(r"(\d+) requests in", out)
    if match is None or done is None:
        raise RuntimeError(f"no rate in wrk output:\n{out}")
    return Run(float(match.group(1)), cpu * 1e6 / int(done.group(1)) if pid else None)


# --- servers --------------------------------------------------------------------------------


@contextmanager
def bare_server() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        ["taskset", "-c", SERVER_CPU, sys.executable, str(HERE / "bare.py"), str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url + "/small", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the bare ASGI app did not start")
            time.sleep(0.05)
        PIDS[url] = proc.pid
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def store_flags(store: str, pg_url: str) -> Iterator[list[str]]:
    if store == "sqlite":
        yield []
        return
    with scratch_database(pg_url) as database:
        yield ["--store", "postgres", "--pg-url", database]


def settings_for(state: Path, flags: list[str]) -> Settings:
    settings = Settings(state_dir=str(state))
    if flags:
        settings = settings.replace(store="postgres", pg_url=flags[flags.index("--pg-url") + 1])
    return settings


async def fill(settings: Settings, first: int, last: int) -> None:
    """Events ``first``..``last`` (list_bench's realistic events) written in batches."""
    store = await open_store(settings)
    try:
        await initialize_store(store, ADMIN, PASSWORD, exist_ok=True)
        now = int(time.time())
        for start in range(first, last, 2000):
            await store.apply([event_put(i, now) for i in range(start, min(last, start + 2000))])
    finally:
        await store.close()


def stored_bytes(state: Path, flags: list[str]) -> int:
    """What the events take in the database now (SQLite: the file, checkpointed)."""
    if not flags:
        import sqlite3

        db = next(state.glob("*.db"))
        conn = sqlite3.connect(db)  # closed before Vigil opens the file (exclusively)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            free = conn.execute("PRAGMA freelist_count").fetchone()[0]
            size = conn.execute("PRAGMA page_size").fetchone()[0]
        finally:
            conn.close()
        return int((pages - free) * size)
    with psycopg.connect(flags[flags.index("--pg-url") + 1], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE events")
        row = conn.execute("SELECT pg_total_relation_size('events')").fetchone()
        assert row is not None
        return int(row[0])


def rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


# --- measuring ------------------------------------------------------------------------------


class Table:
    def __init__(self, runs: int) -> None:
        self.runs = runs
        self.rows: list[Row] = []

    def pair(
        self, store: str, case: str, vigil: Callable[[], Run], base: Callable[[], Run],
        *, times: bool = False,
    ) -> None:  # fmt: skip
        """``runs`` alternating measurements of Vigil and its baseline.

        ``times``: show ms per request and the ratio of times (Vigil's time / the baseline's),
        for pages, where the question is how much longer a filtered page takes.
        """
        values, ratios, cpus, cpu_ratios = [], [], [], []
        for _ in range(self.runs):
            v, b = vigil(), base()
            values.append(1000 / v.rate if times else v.rate)
            ratios.append(b.rate / v.rate if times else v.rate / b.rate)
            if v.cpu_us and b.cpu_us:
                cpus.append(v.cpu_us)
                cpu_ratios.append(b.cpu_us / v.cpu_us)
        self.add(store, case, values, ratios, "ms" if times else "req/s", cpus, cpu_ratios)

    def note(self, store: str, case: str, value: float, unit: str) -> None:
        self.add(store, case, [value], [], unit)

    def add(
        self, store: str, case: str, values: list[float], ratios: list[float], unit: str,
        cpus: list[float] | None = None, cpu_ratios: list[float] | None = None,
    ) -> None:  # fmt: skip
        row = (store, case, values, ratios, unit, cpus or [], cpu_ratios or [])
        self.rows.append(row)
        print("  " + " | ".join(self.cells(row)), flush=True)

    @staticmethod
    def cells(row: Row) -> list[str]:
        store, case, values, ratios, unit, cpus, cpu_ratios = row

        def median(xs: list[float], form: str) -> str:
            return format(statistics.median(xs), form) if xs else ""

        value = statistics.median(values)
        return [store, case, f"{value:,.0f}" if value >= 100 else f"{value:,.2f}", unit,
                median(ratios, ".3f"), median(cpus, ",.0f"), median(cpu_ratios, ".3f")]  # fmt: skip

    def print(self) -> None:
        print("\n| store | case | median | unit | x baseline | CPU µs/req | x baseline (CPU) |")
        print("|---|---|---:|---|---:|---:|---:|")
        for row in self.rows:
            print("| " + " | ".join(self.cells(row)) + " |")


def prepare(url: str) -> tuple[str, str]:
    """100 checks; returns a JWT header value and an API key header value."""
    token = admin_token(url)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        for n in range(100):
            body = {"metadata": {"name": f"check-{n}"}, "command": f"check-{n}.sh --warn 80",
                    "interval": 60, "subscriptions": ["linux"], "handlers": ["slack"]}  # fmt: skip
            client.post(CHECK_PATH, json=body).raise_for_status()
        made = client.post("/api/core/v2/apikeys", json={"username": ADMIN})
        made.raise_for_status()
        key = made.headers["location"].rsplit("/", 1)[1]
    return f"Bearer {token}", f"Key {key}"


def ingest_lua(jwt: str, start: int, *, echo: bool = False) -> str:
    """Vigil's PUT of one event per request, or (``echo``) the same bodies to the bare app."""
    put = f'"{EVENTS}/" .. entity .. "/" .. check'
    method, target = ("POST", '"/echo"') if echo else ("PUT", put)
    return INGEST_LUA % {"token": jwt, "entities": ENTITIES, "checks": CHECKS,
                         "start": start, "method": method, "target": target}  # fmt: skip


def write_keys(url: str, jwt: str) -> None:
    """One event per ingest key (creating the proxy entities) before anything is timed."""
    from harness import event_body, post_request

    token = jwt.removeprefix("Bearer ")
    bodies = (
        event_body(f"host-{k % ENTITIES:04d}", f"check-{k // ENTITIES}", 0, "OK " + "x" * 820)
        for k in range(ENTITIES * CHECKS)
    )
    requests = [post_request(EVENTS, token, body) for body in bodies]
    asyncio.run(drive([url], requests, 64, None))


def ingest_cells(
    table: Table, store: str, label: str, url: str, bare: str, jwt: str, seconds: float,
    conns: tuple[int, ...],
) -> None:  # fmt: skip
    echo = ingest_lua("", 0, echo=True)
    counter = iter(range(1, 10**6))
    for c in conns[-1:] if SMOKE else conns:
        table.pair(
            store, f"ingest {c} conn{label}",
            lambda c=c: wrk(url, "", c, seconds, lua=ingest_lua(jwt, next(counter) * 7919)),
            lambda c=c: wrk(bare, "", c, seconds, lua=echo),
        )  # fmt: skip


def front_figures(table: Table, store: str, pg_url: str, root: Path, seconds: float) -> None:
    """GET, list and ingest on a store holding only what the benchmark wrote."""
    state = root / f"{store}-front"
    state.mkdir()
    with ExitStack() as stack:
        flags = stack.enter_context(store_flags(store, pg_url))
        vigil_init(state, flags)
        wrapper = ["taskset", "-c", SERVER_CPU]
        vigil = stack.enter_context(vigil_start(state, ["--log-level", "warn", *flags], wrapper))
        PIDS[vigil.url] = vigil.pid
        bare = stack.enter_context(bare_server())
        jwt, key = prepare(vigil.url)
        one = f"{CHECK_PATH}/check-0"
        small = lambda: wrk(bare, "/small", 8, seconds)  # noqa: E731
        table.pair(
            store,
            "GET check, JWT, 8 conn",
            lambda: wrk(vigil.url, one, 8, seconds, header=f"Authorization: {jwt}"),
            small,
        )
        if SMOKE:
            write_keys(vigil.url, jwt)
            ingest_cells(table, store, "", vigil.url, bare, jwt, seconds, (8,))
            return
        table.pair(
            store,
            "GET check, API key, 8 conn",
            lambda: wrk(vigil.url, one, 8, seconds, header=f"Authorization: {key}"),
            small,
        )
        table.pair(store, "list 100 checks, 8 conn",
                   lambda: wrk(vigil.url, CHECK_PATH, 8, seconds, header=f"Authorization: {jwt}"),
                   lambda: wrk(bare, "/list", 8, seconds))  # fmt: skip
        write_keys(vigil.url, jwt)
        ingest_cells(table, store, "", vigil.url, bare, jwt, seconds, (1, 8, 64))


def size_figures(
    table: Table, store: str, pg_url: str, root: Path, seconds: float, sizes: list[int]
) -> None:
    """Filtered pages at each size; ingest, the unpaged list and bytes/event at the largest."""
    state = root / f"{store}-sizes"
    state.mkdir()
    with ExitStack() as stack:
        flags = stack.enter_context(store_flags(store, pg_url))
        vigil_init(state, flags)
        settings = settings_for(state, flags)
        filled, stored = 0, 0
        for size in sizes:
            asyncio.run(fill(settings, filled, size))
            if filled == 0:
                stored = stored_bytes(state, flags)
            else:
                per_event = (stored_bytes(state, flags) - stored) / (size - sizes[0])
            filled = size
            if SMOKE and size != sizes[-1]:
                continue  # the smoke run serves the last size only
            wrapper = ["taskset", "-c", SERVER_CPU]
            flags_start = ["--log-level", "warn", *flags]
            with vigil_start(state, flags_start, wrapper) as vigil, bare_server() as bare:
                PIDS[vigil.url] = vigil.pid
                jwt = f"Bearer {admin_token(vigil.url)}"
                pages(table, store, vigil.url, jwt, size, seconds, last=size == sizes[-1])
                if size == sizes[-1]:
                    unpaged(table, store, vigil.url, vigil.pid, jwt, size)
                    if SMOKE:
                        continue  # ingest ran in the front figures
                    write_keys(vigil.url, jwt)
                    ingest_cells(table, store, f", {size:,} stored", vigil.url, bare, jwt,
                                 seconds, (8, 64))  # fmt: skip
        if len(sizes) > 1:
            table.note(store, "on disk per event (21-entry history)", per_event, "bytes")


def pages(
    table: Table, store: str, url: str, jwt: str, size: int, seconds: float, *, last: bool
) -> None:
    """The first page of each query from one keep-alive connection, against the unfiltered
    page. Timed per request (not by wrk): a slow query must still give a figure."""
    paths = {q: f"{EVENTS}?limit=100" + (f"&{s}" if s else "") for q, s in QUERIES.items()}
    chosen = list(paths.items())
    if SMOKE:
        chosen, seconds = (chosen[-3:-2] if last else []), 0.1
    with httpx.Client(base_url=url, headers={"Authorization": jwt}, timeout=300) as client:

        def rate(path: str) -> Run:
            """Pages per second: the median over ``seconds`` of requests (at least 3)."""
            took: list[float] = []
            until = time.perf_counter() + seconds
            while len(took) < 3 or time.perf_counter() < until:
                start = time.perf_counter()
                client.get(path).raise_for_status()
                took.append(time.perf_counter() - start)
            return Run(1 / statistics.median(took))

        for name, path in chosen:
            table.pair(store, f"page at {size:,}: {name} (x unfiltered)",
                       lambda path=path: rate(path), lambda: rate(paths["unfiltered"]),
                       times=True)  # fmt: skip


def unpaged(table: Table, store: str, url: str, pid: int, jwt: str, size: int) -> None:
    before = rss_kb(pid, "VmRSS")
    start = time.perf_counter()
    got = 0
    with httpx.stream("GET", url + EVENTS, headers={"Authorization": jwt}, timeout=300) as r:
        r.raise_for_status()
        for chunk in r.iter_bytes():
            got += len(chunk)
    took = time.perf_counter() - start
    grown = (rss_kb(pid, "VmHWM") - before) / 1024
    table.note(store, f"unpaged list of {size:,} ({got / 1e6:.0f} MB of JSON)", took, "s")
    table.note(store, f"unpaged list of {size:,}: server RSS growth", grown, "MB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 s cells, 3 runs, up to 10k")
    parser.add_argument("--smoke", action="store_true", help="one short run (checks it works)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--only", choices=("front", "sizes"), default=None)
    parser.add_argument("--pg-url", default=os.environ.get(
        "VIGIL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))  # fmt: skip
    args = parser.parse_args(argv)
    which_wrk()
    if args.smoke:
        global SMOKE, ENTITIES
        SMOKE, ENTITIES = True, 10
        args.runs, args.seconds, args.sizes = 1, 1.0, "100,200"
    elif args.quick:
        args.runs, args.seconds, args.sizes = 3, 1.0, "1000,10000"
    sizes = [int(s) for s in args.sizes.split(",")]
    table = Table(args.runs)
    print(f"wrk {subprocess.run(['wrk', '-v'], capture_output=True, text=True).stdout.split()[1]}"
          f" pinned to CPU {LOAD_CPU}, servers to CPU {SERVER_CPU}; {args.runs} runs x "
          f"{args.seconds:g} s per cell", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for store in args.stores.split(","):
            if args.only in (None, "front"):
                front_figures(table, store, args.pg_url, Path(tmp), args.seconds)
            if args.only in (None, "sizes"):
                size_figures(table, store, args.pg_url, Path(tmp), args.seconds, sizes)
    table.print()


if __name__ == "__main__":
    main()
