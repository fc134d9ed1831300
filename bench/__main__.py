"""``make bench``: every benchmark in quick mode, one after another."""

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
    failed = 0
    for script, args in BENCHMARKS:
        path = HERE / script
        if not path.exists():
            print(f"== {script}: not present, skipped", flush=True)
            continue
        print(f"== {script} {' '.join(args)}", flush=True)
        failed += subprocess.run([sys.executable, str(path), *args]).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
