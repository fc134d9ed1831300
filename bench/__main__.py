"""``make bench``: Vigil against the bare ASGI baseline under wrk (``wrk_bench.py``, with
the arguments given: ``make bench BENCH_ARGS=--quick``), then every other benchmark in its
quick mode, one after another (``--wrk-only`` stops after the first)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
# (script, arguments for a quick run)
BENCHMARKS = [
    ("store_bench.py", ["--seconds", "2"]),
    ("list_bench.py", ["--quick"]),
    ("ingest_bench.py", ["--quick"]),
    ("cluster_bench.py", ["--quick"]),
    ("js_bench.py", ["--n", "50"]),
    ("dashboard_bench.py", ["--quick"]),
    ("agent_sessions_bench.py", ["--quick"]),
    ("agents_bench.py", ["--quick"]),
    ("agent_bench.py", ["--quick"]),
]


def main() -> int:
    args = sys.argv[1:]
    wrk_only = "--wrk-only" in args
    args = [a for a in args if a != "--wrk-only"]
    print(f"== wrk_bench.py {' '.join(args)}", flush=True)
    failed = subprocess.run([sys.executable, str(HERE / "wrk_bench.py"), *args]).returncode != 0
    for script, quick in [] if wrk_only else BENCHMARKS:
        path = HERE / script
        if not path.exists():
            print(f"== {script}: not present, skipped", flush=True)
            continue
        print(f"== {script} {' '.join(quick)}", flush=True)
        failed += subprocess.run([sys.executable, str(path), *quick]).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
