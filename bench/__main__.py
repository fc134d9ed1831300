"""``make bench``: Vigil against the bare ASGI baseline under wrk (``bench/wrk_bench.py``).

Arguments are passed on (``make bench BENCH_ARGS=--quick``). The older single-purpose
benchmarks (``store_bench``, ``list_bench``, ``ingest_bench``, ``cluster_bench``) still run
alone as ``python bench/<name>.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    return subprocess.run([sys.executable, str(HERE / "wrk_bench.py"), *sys.argv[1:]]).returncode


if __name__ == "__main__":
    sys.exit(main())
