"""Time per ``limit=100`` events page through HTTP, filtered and not, at 1k, 10k and 100k events.

    .venv/bin/python bench/list_bench.py [--quick] [--sizes 1000,10000,100000]
                                         [--store sqlite|postgres] [--pg-url postgresql://...]

For each size a fresh store is filled directly through ``Store.apply`` (batches of 2,000
realistic events: check output, a 21-entry history, labels), then the real app serves it
under uvicorn in a thread and an httpx client walks the first pages of
``/api/core/v2/namespaces/default/events?limit=100`` following ``Sensu-Continue``:

* ``unfiltered``: no selector (the baseline, measured in the same run);
* ``half``:  ``fieldSelector=event.check.status == "2"`` matches ~50 % of the events;
* ``rare``:  ``fieldSelector=event.check.status == "1"`` matches ~1 %, spread evenly;
* ``label``: ``labelSelector=region == "eu"`` matches ~25 % (labels column).

Printed: the median time per page, its ratio to the unfiltered page at the same size, and
its ratio to the same query at the smallest size. A page's cost should follow the page (and
the rows the filter must skip to fill it), not the table.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import msgspec
import uvicorn
from harness import ADMIN, PASSWORD, admin_token, free_port, scratch_database

from vigil.app import create_app
from vigil.bootstrap import initialize_store
from vigil.model.events import Event
from vigil.settings import Settings
from vigil.store import open_store
from vigil.store.base import Put

BATCH = 2_000
LIMIT = 100
PATH = "/api/core/v2/namespaces/default/events"
QUERIES: dict[str, dict[str, str]] = {
    "unfiltered": {},
    "half": {"fieldSelector": 'event.check.status == "2"'},
    "rare": {"fieldSelector": 'event.check.status == "1"'},
    "label": {"labelSelector": 'region == "eu"'},
}
REGIONS = ("us", "eu", "ap", "sa")


def status_of(i: int) -> int:
    """1 for every 100th event (1 %), else 2 for half of them, else 0."""
    if i % 100 == 0:
        return 1
    return 2 if i % 2 else 0


def event_doc(i: int, now: int) -> dict[str, Any]:
    entity, check = f"host-{i // 10:06d}", f"check-{i % 10}"
    status = status_of(i)
    history = [{"status": status, "executed": now - 60 * k} for k in range(21)]
    return {
        "metadata": {"namespace": "default", "labels": {"region": REGIONS[(i // 10) % 4]}},
        "timestamp": now,
        "entity": {
            "metadata": {"name": entity, "namespace": "default"},
            "entity_class": "agent",
            "subscriptions": ["linux", f"entity:{entity}"],
        },
        "check": {
            "metadata": {"name": check, "namespace": "default"},
            "command": f"check-{i % 10}.sh --warn 80 --crit 90",
            "interval": 60,
            "subscriptions": ["linux"],
            "handlers": ["slack"],
            "status": status,
            "output": f"{check} on {entity}: value {i % 97} " + "x" * 120,
            "executed": now,
            "issued": now,
            "history": history,
            "state": "failing" if status else "passing",
        },
    }


def event_put(i: int, now: int) -> Put:
    event = msgspec.convert(event_doc(i, now), type=Event)
    return Put(
        "events",
        "default",
        event.key_name(),
        msgspec.json.encode(event),
        event.fields(),
        event.labels(),
    )


async def populate(settings: Settings, size: int) -> float:
    """Fill a fresh store with ``size`` events; returns seconds taken."""
    store = await open_store(settings)
    try:
        await initialize_store(store, ADMIN, PASSWORD, exist_ok=True)
        now = int(time.time())
        start = time.perf_counter()
        for first in range(0, size, BATCH):
            await store.apply([event_put(i, now) for i in range(first, min(size, first + BATCH))])
        return time.perf_counter() - start
    finally:
        await store.close()


class Server:
    """The real app under uvicorn on its own loop in a thread (as the API tests run it)."""

    def __init__(self, settings: Settings, port: int) -> None:
        self.settings = settings.replace(api_listen_address=f"127.0.0.1:{port}")
        self.url = f"http://127.0.0.1:{port}"
        self.server: uvicorn.Server | None = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        store = await open_store(self.settings)
        try:
            config = uvicorn.Config(
                create_app(self.settings, store),
                host="127.0.0.1",
                port=self.settings.port,
                log_config=None,
                access_log=False,
                lifespan="on",
                loop="none",
            )
            self.server = uvicorn.Server(config)
            await self.server.serve()
        finally:
            await store.close()

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not (self.server is not None and self.server.started):
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.should_exit = True
        self.thread.join(timeout=30)


def page_times(
    client: httpx.Client, params: dict[str, str], pages: int, rounds: int
) -> list[float]:
    """Seconds per page over ``rounds`` walks of the first ``pages`` pages."""
    times: list[float] = []
    client.get(PATH, params={**params, "limit": LIMIT}).raise_for_status()  # warm-up
    for _ in range(rounds):
        query: dict[str, Any] = {**params, "limit": LIMIT}
        for _ in range(pages):
            start = time.perf_counter()
            response = client.get(PATH, params=query)
            times.append(time.perf_counter() - start)
            response.raise_for_status()
            token = response.headers.get("sensu-continue")
            if token is None:
                break
            query["continue"] = token
    return times


def measure(settings: Settings, pages: int, rounds: int) -> dict[str, float]:
    with Server(settings, free_port()) as server:
        token = admin_token(server.url)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=120) as client:
            return {
                name: statistics.median(page_times(client, params, pages, rounds))
                for name, params in QUERIES.items()
            }


@contextmanager
def store_settings(store: str, pg_url: str) -> Iterator[Settings]:
    with tempfile.TemporaryDirectory() as state_dir:
        settings = Settings(state_dir=state_dir)
        if store == "sqlite":
            yield settings
            return
        with scratch_database(pg_url) as database:
            yield settings.replace(store="postgres", pg_url=database)


def report(results: dict[int, dict[str, float]]) -> None:
    sizes = sorted(results)
    base = results[sizes[0]]
    print(f"\n| events | query | median ms/page | x unfiltered | x at {sizes[0]:,} |")
    print("|---:|---|---:|---:|---:|")
    for size in sizes:
        row = results[size]
        for name, seconds in row.items():
            print(
                f"| {size:,} | {name} | {seconds * 1000:.2f} | "
                f"{seconds / row['unfiltered']:.2f} | {seconds / base[name]:.2f} |"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (well under a minute)")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args(argv)
    pages, rounds = (5, 4) if args.quick else (10, 20)
    results: dict[int, dict[str, float]] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        with store_settings(args.store, args.pg_url) as settings:
            filled = asyncio.run(populate(settings, size))
            print(f"{args.store}: {size:,} events written in {filled:.1f}s", flush=True)
            results[size] = measure(settings, pages, rounds)
    print(f"\n{args.store}, limit={LIMIT}, first {pages} pages x {rounds} rounds, median per page")
    report(results)


if __name__ == "__main__":
    main()
