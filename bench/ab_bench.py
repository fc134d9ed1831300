"""Before/after: the same workloads against two source trees of Vigil, side by side.

    .venv/bin/python bench/ab_bench.py --a OLD/src --b src [--store sqlite] [--rounds 8]

Both servers run at once (``vigil start`` with ``PYTHONPATH`` set to each tree), pinned to
CPU 0; wrk runs on CPU 1. Each round measures every cell on both, in alternating order, so
the two see the same machine; the figure is the server's CPU time per request (all its
threads), which other load on a shared machine moves least, and the median over rounds.
``--a`` is typically a ``git archive`` of an older commit (``git archive REV src | tar -x``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from harness import vigil_init, vigil_start
from wrk_bench import (
    CHECK_PATH,
    PIDS,
    SERVER_CPU,
    Run,
    ingest_lua,
    prepare,
    store_flags,
    write_keys,
    wrk,
)


@contextmanager
def source(tree: str) -> Iterator[None]:
    """Processes started inside run Vigil from ``tree``."""
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(Path(tree).resolve())
    try:
        yield
    finally:
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before


def cells(url: str, jwt: str, seconds: float) -> dict[str, Callable[[], Run]]:
    one = f"{CHECK_PATH}/check-0"
    start = iter(range(1, 10**6))
    return {
        "GET check, JWT, 8 conn": lambda: wrk(url, one, 8, seconds, header=f"Authorization: {jwt}"),
        "ingest 8 conn": lambda: wrk(url, "", 8, seconds, lua=ingest_lua(jwt, next(start) * 7919)),
        "ingest 64 conn": lambda: wrk(url, "", 64, seconds, lua=ingest_lua(jwt, next(start) * 7)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", required=True, help="the source tree measured first (before)")
    parser.add_argument("--b", required=True, help="the other source tree (after)")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        sides: dict[str, dict[str, Callable[[], Run]]] = {}
        for side, tree in (("a", args.a), ("b", args.b)):
            state = Path(tmp) / side
            state.mkdir()
            flags = stack.enter_context(store_flags(args.store, args.pg_url))
            with source(tree):
                vigil_init(state, flags)
                srv = stack.enter_context(
                    vigil_start(
                        state, ["--log-level", "warn", *flags], ["taskset", "-c", SERVER_CPU]
                    )
                )
            PIDS[srv.url] = srv.pid
            jwt, _ = prepare(srv.url)
            write_keys(srv.url, jwt)
            sides[side] = cells(srv.url, jwt, args.seconds)
        cpu: dict[tuple[str, str], list[float]] = {}
        rate: dict[tuple[str, str], list[float]] = {}
        for n in range(args.rounds):
            for cell in sides["a"]:
                for side in ("a", "b") if n % 2 == 0 else ("b", "a"):
                    run = sides[side][cell]()
                    cpu.setdefault((cell, side), []).append(run.cpu_us or 0.0)
                    rate.setdefault((cell, side), []).append(run.rate)
        print(
            f"\n{args.store}, {args.rounds} rounds x {args.seconds:g} s; a = {args.a}, b = {args.b}"
        )
        print("\n| case | a CPU µs/req | b CPU µs/req | b / a | a req/s | b req/s |")
        print("|---|---:|---:|---:|---:|---:|")
        for cell in sides["a"]:
            a, b = (statistics.median(cpu[(cell, s)]) for s in ("a", "b"))
            ra, rb = (statistics.median(rate[(cell, s)]) for s in ("a", "b"))
            print(f"| {cell} | {a:,.0f} | {b:,.0f} | {b / a:.2f} | {ra:,.0f} | {rb:,.0f} |")


if __name__ == "__main__":
    main()
