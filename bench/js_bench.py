"""Cost of one JavaScript filter evaluation per isolation model, as ratios to the cheapest.

    .venv/bin/python bench/js_bench.py [--n 200]

* ``fresh isolate`` (what Vigil does): a new V8 isolate per evaluation, destroyed after it;
* ``reused isolate``: one V8 isolate for every evaluation (the old design, before the leaks
  between namespaces were found); the floor of what V8 costs per call;
* ``quickjs runtime``: a fresh QuickJS runtime per evaluation, when the ``quickjs`` package is
  installed (it is not a dependency: its time limit counts the whole process's CPU time).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from py_mini_racer import mini_racer

from vigil.pipeline import js

EVENT = {"check": {"status": 2, "metadata": {"name": "disk"}}, "entity": {"name": "web1"}}
EXPRESSIONS = ["event.check.status == 2", "event.entity.name == 'web1'"]


def fresh_isolate() -> Callable[[], object]:
    return lambda: js.evaluate_filter(EXPRESSIONS, EVENT, timeout=1.0)


def reused_isolate() -> Callable[[], object]:
    sandbox = js.default_sandbox()
    owner = mini_racer(sandbox._messages.loop)
    racer = owner.__enter__()
    racer.eval(js._PRELUDE)
    code = f"__vigil.filter({js._js(js.filter_environment(EVENT))}, {js._js(EXPRESSIONS)})"

    def run() -> object:
        assert owner is not None  # keeps the isolate alive as long as the closure
        return racer.eval(code, timeout_sec=1.0)

    return run


def quickjs_runtime() -> Callable[[], object] | None:
    try:
        import quickjs  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    source = f"var event = {js._js(js.filter_environment(EVENT))}; [{', '.join(EXPRESSIONS)}]"

    def run() -> object:
        context = quickjs.Context()
        context.set_memory_limit(js.MEMORY_LIMIT)
        context.set_time_limit(1.0)
        return context.eval(source)

    return run


def measure(run: Callable[[], object], n: int) -> float:
    for _ in range(5):
        run()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    n = parser.parse_args().n
    results = {"fresh isolate": measure(fresh_isolate(), n)}
    results["reused isolate"] = measure(reused_isolate(), n)
    quick = quickjs_runtime()
    if quick is not None:
        results["quickjs runtime"] = measure(quick, n)
    floor = min(results.values())
    print(f"{'model':<18} {'ms/eval (median)':>17} {'ratio':>7}")
    for name, ms in results.items():
        print(f"{name:<18} {ms:>17.3f} {ms / floor:>7.1f}")
    js.close()


if __name__ == "__main__":
    main()
