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
import random
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
from harness import (
    admin_token,
    drive,
    event_body,
    get_request,
    post_request,
    scratch_database,
    vigil_init,
    vigil_start,
)

ENTITIES, CHECKS = 1000, 10
EVENTS = "/api/core/v2/namespaces/default/events"
STATUSES = (0, 0, 0, 0, 1, 2)
INGEST_CLIENTS = (8, 64)
LIST_CLIENTS = 8


# --- servers ------------------------------------------------------------------------------------


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
        vigil_init(state, flags)
        started = [
            stack.enter_context(vigil_start(state, ["--log-level", "warn", *flags]))
            for _ in range(count)
        ]
        yield [backend.url for backend in started]


# --- requests -------------------------------------------------------------------------------------


def event_request(key: int, token: str, rng: random.Random) -> bytes:
    status = rng.choice(STATUSES)
    output = f"{'OK' if status == 0 else 'CRITICAL'}: {rng.random():.4f}" + " detail" * 10
    body = event_body(f"host-{key % ENTITIES:04d}", f"check-{key // ENTITIES}", status, output)
    return post_request(EVENTS, token, body)


async def rate(
    urls: list[str], requests: list[bytes], clients: int, seconds: float | None
) -> float:
    """Requests per second from ``clients`` connections spread over ``urls`` (see ``drive``)."""
    done, took = await drive(urls, requests, clients, seconds)
    return done / took


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
    token = admin_token(urls[0])
    rng = random.Random(7)
    keys = list(range(ENTITIES * CHECKS))
    figures = {
        "fill 10k, 64 clients": await rate(
            urls, [event_request(k, token, rng) for k in keys], 64, None
        )
    }
    rng.shuffle(keys)
    ingest = [event_request(k, token, rng) for k in keys[:4000]]
    for clients in INGEST_CLIENTS:
        figures[f"ingest, {clients} clients"] = await rate(urls, ingest, clients, seconds)
    paths = page_paths(urls[0], token)
    pages = [get_request(rng.choice(paths), token) for _ in range(1000)]
    figures[f"list page, {LIST_CLIENTS} clients"] = await rate(urls, pages, LIST_CLIENTS, seconds)
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
