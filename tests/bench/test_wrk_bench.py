"""``make bench`` works: the wrk benchmark runs end to end in its smoke form (no figures are
checked; performance is measured in BENCHMARKS.md, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "bench" / "wrk_bench.py"


def test_wrk_bench_smoke_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--smoke", "--stores", "sqlite"],
        capture_output=True, text=True, timeout=110,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    table = done.stdout.split("| store | case |", 1)[1]
    for case in ("GET check, JWT", "ingest 8 conn", "matches", "unpaged list", "per event"):
        assert case in table
