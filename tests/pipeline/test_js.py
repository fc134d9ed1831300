"""The JavaScript sandbox: parsing, Sensu's filter environment, mutators, and its limits."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
import pytest

from vigil.pipeline import js
from vigil.pipeline.filters import ALLOW, decide

TIMEOUT = 2.0
SHORT = 0.2


def allows(expressions: list[str], event: dict[str, Any], *, timeout: float) -> bool:
    """What an ``allow`` filter with ``expressions`` decides, as the pipeline runs it."""
    return decide(ALLOW, js.evaluate_expressions(expressions, event, timeout=timeout))


def sample_event(**check: Any) -> dict[str, Any]:
    return {
        "timestamp": 1700000000,
        "id": "2f0b8a5e-4c3b-4d8e-9b1a-1c2d3e4f5a6b",
        "metadata": {"namespace": "default"},
        "entity": {
            "entity_class": "agent",
            "metadata": {"name": "web1", "namespace": "default", "labels": {"region": "eu"}},
        },
        "check": {
            "metadata": {"name": "disk", "namespace": "default"},
            "status": 2,
            "output": "DISK CRITICAL",
            "history": [{"status": 0, "executed": 1}, {"status": 2, "executed": 2}],
            **check,
        },
    }


@pytest.mark.parametrize(
    ("expression", "valid"),
    [
        ("event.check.status == 2", True),
        ("event.entity.labels.region === 'eu' && hour(event.timestamp) >= 0", True),
        ("var x = 1; x > 0", True),
        ("", True),
        ("while (true) {}", True),  # parses; it is never run by the check
        ("event.check.status ==", False),
        ("event.check.status == )", False),
        ("'unterminated", False),
        ("}); while (true) {}; (function () {", False),  # cannot break out of the parse
    ],
    ids=lambda v: repr(v)[:40] if isinstance(v, str) else str(v),
)
def test_syntax_error(expression: str, valid: bool) -> None:
    message = js.syntax_error(expression)
    if valid:
        assert message is None
    else:
        assert message and "SyntaxError" in message


def test_syntax_check_never_runs_code() -> None:
    assert js.syntax_error("globalThis.touched = 1") is None
    assert js.evaluate_expressions(
        ["typeof touched === 'undefined'"], sample_event(), timeout=TIMEOUT
    ) == [True]


@pytest.mark.parametrize(
    ("expressions", "allowed"),
    [
        (["event.check.status == 2"], True),
        (["event.check.status == 0"], False),
        (["event.check.status == 2", "event.entity.name == 'web1'"], True),
        (["event.check.status == 2", "event.entity.name == 'db1'"], False),
        (["event.entity.labels.region == 'eu'"], True),
        (["event.check.name == 'disk' && event.name === undefined"], True),
        (["event.check.metadata === undefined"], True),  # metadata is flattened, as in Sensu
        (["event.is_incident && !event.is_resolution && event.has_check"], True),
        (["event.has_metrics"], False),
        (["event.check.labels && event.entity.annotations"], True),  # nil maps become {}
        (["event.id.length == 16"], True),  # the id is a byte array
        (["no_such_variable.x"], True),  # an expression that throws is skipped
        (["no_such_variable.x", "false"], False),
        (["1"], True),  # JavaScript truthiness
        (["''"], False),
    ],
)
def test_allow_filter(expressions: list[str], allowed: bool) -> None:
    assert allows(expressions, sample_event(), timeout=TIMEOUT) is allowed


def test_time_helpers_work_in_utc() -> None:
    # 1700000000 is Tuesday 2023-11-14 22:13:20 UTC.
    exprs = [
        "hour(1700000000) == 22",
        "minute(1700000000) == 13",
        "second(1700000000) == 20",
        "weekday(1700000000) == 2",
        "weekday(0) == 4",
        "hour() == 0 && seconds_since() == 0",
        "seconds_since(event.timestamp) > 0",
    ]
    assert js.evaluate_expressions(exprs, sample_event(), timeout=TIMEOUT) == [True] * len(exprs)


@pytest.mark.parametrize(
    ("history", "status", "state", "extras"),
    [
        (
            [{"status": 0}, {"status": 2}],
            2,
            "failing",
            {"is_incident": True, "is_resolution": False},
        ),
        (
            [{"status": 2}, {"status": 0}],
            0,
            "passing",
            {"is_incident": False, "is_resolution": True},
        ),
        ([{"status": 0}], 0, "passing", {"is_incident": False, "is_resolution": False}),
        ([], 0, "passing", {"is_resolution": False}),
        ([{"status": 1}, {"status": 1}], 0, "flapping", {"is_flapping_start": True}),
        ([{"status": 1, "flapping": True}, {"status": 0}], 0, "passing", {"is_flapping_end": True}),
    ],
)
def test_event_extras(
    history: list[dict[str, Any]], status: int, state: str, extras: dict[str, bool]
) -> None:
    computed = js.event_extras(sample_event(history=history, status=status, state=state))
    assert {key: computed[key] for key in extras} == extras


def test_endless_loop_is_stopped_and_the_pool_recovers() -> None:
    with pytest.raises(js.ScriptTimeout):
        allows(["while (true) {}"], sample_event(), timeout=SHORT)
    assert allows(["event.check.status == 2"], sample_event(), timeout=TIMEOUT)


@pytest.mark.parametrize(
    "leave",
    [
        "(async function () { await 0; while (true) {} })(); true",
        "(function spin() { Promise.resolve().then(spin); })(); true",
    ],
)
def test_work_left_behind_in_a_promise_dies_with_its_run(leave: str) -> None:
    # The evaluation's isolate is destroyed with its queued jobs; nothing runs later.
    allows([leave], sample_event(), timeout=SHORT)
    assert allows(["true"], sample_event(), timeout=TIMEOUT)


def test_memory_limit_stops_a_runaway_allocation() -> None:
    hog = "var a = []; while (true) { a.push(new Array(100000).fill(1)); }"
    with pytest.raises(js.ScriptError):
        allows([hog], sample_event(), timeout=10)
    assert allows(["true"], sample_event(), timeout=TIMEOUT)


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("leaked = 42; true", "typeof leaked === 'undefined'"),
        ("globalThis.leaked2 = 1; true", "typeof leaked2 === 'undefined'"),
        ("Object.prototype.polluted = 1; true", "({}).polluted === undefined"),
        ("Array.prototype.push = null; true", "typeof [].push === 'function'"),
        ("JSON = null; hour = null; true", "typeof JSON.stringify === 'function' && hour(0) == 0"),
        ("true", "typeof setTimeout === 'undefined' && typeof WebAssembly === 'undefined'"),
        ("/(secret-\\w+)/.test(event.check.output); true", "RegExp.input === ''"),
        ("globalThis = {leak: event.check.output}; true", "typeof leak === 'undefined'"),
        ("true", "typeof ArrayBuffer === 'undefined' && typeof Uint8Array === 'undefined'"),
    ],
)
def test_runs_do_not_leak_into_each_other(first: str, then: str) -> None:
    js.evaluate_expressions([first], sample_event(), timeout=TIMEOUT)
    assert js.evaluate_expressions([then], sample_event(), timeout=TIMEOUT) == [True]


def test_concurrent_callers_share_the_pool() -> None:
    def one(i: int) -> bool:
        return allows([f"event.check.status == 2 && {i} >= 0"], sample_event(), timeout=TIMEOUT)

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(one, range(40)))


def test_mutator_returning_nothing_yields_the_modified_event() -> None:
    payload = js.run_mutator(
        "event.check.output = PREFIX + event.check.metadata.name;",
        sample_event(),
        timeout=TIMEOUT,
        env_vars=["PREFIX=check:"],
    )
    mutated = orjson.loads(payload)
    assert mutated["check"]["output"] == "check:disk"
    assert mutated["entity"]["metadata"]["name"] == "web1"


def test_mutator_returning_a_string_yields_its_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_TEST_REGION", "eu-west")
    payload = js.run_mutator(
        "return event.entity.metadata.name + '@' + VIGIL_TEST_REGION + ' ✓';",
        sample_event(),
        timeout=TIMEOUT,
        env_vars=["VIGIL_TEST_REGION", "not a name=1"],
    )
    # A bare name is bound to "": the server's environment never reaches a script.
    assert payload == "web1@ ✓".encode()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("return 5;", "bad mutator result"),
        ("throw new Error('boom');", "boom"),
        ("return (", "SyntaxError"),
    ],
)
def test_mutator_errors(source: str, message: str) -> None:
    with pytest.raises(js.ScriptError, match=message):
        js.run_mutator(source, sample_event(), timeout=TIMEOUT)


def test_mutator_time_limit() -> None:
    with pytest.raises(js.ScriptTimeout):
        js.run_mutator("for (;;) {}", sample_event(), timeout=SHORT)


def test_own_sandbox_is_bounded_and_closes() -> None:
    sandbox = js.Sandbox(size=1)
    started = threading.Event()
    results: list[str] = []

    def slow() -> None:
        started.set()
        results.append(
            sandbox.run("__vigil.filter({}, ['for (var i = 0; i < 2e5; i++) {} true'])", 5)
        )

    worker = threading.Thread(target=slow)
    worker.start()
    started.wait()
    results.append(sandbox.run("__vigil.filter({}, ['true'])", 5))  # waits for the one engine
    worker.join()
    assert sorted(results) == ["[true]", "[true]"]
    assert sandbox.syntax_error("(") is not None
    sandbox.close()


def test_closed_sandbox_refuses_work() -> None:
    sandbox = js.Sandbox(size=1)
    assert sandbox.run("__vigil.filter({}, ['true'])", TIMEOUT) == "[true]"
    sandbox.close()
    with pytest.raises(js.ScriptError, match="closed"):
        sandbox.run("__vigil.filter({}, ['true'])", TIMEOUT)
    with pytest.raises(js.ScriptError, match="closed"):
        sandbox.syntax_error("1")


def test_module_close_starts_afresh() -> None:
    js.close()
    assert js.syntax_error("1 +") is not None
    assert allows(["true"], sample_event(), timeout=TIMEOUT)


_CONCURRENT = """
import sys, threading
from vigil.pipeline import js
if sys.argv[1] == "main":
    js.start_engine()
elif sys.argv[1] == "thread":  # the engine loads on a thread that then ends
    first = threading.Thread(target=js.syntax_error, args=("1",))
    first.start()
    first.join()
def run():
    for _ in range(10):
        assert js.evaluate_expressions(["1 + 1 == 2"], {}, timeout=5) == [True]
threads = [threading.Thread(target=run) for _ in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
print(js._side_by_side)
"""


@pytest.mark.parametrize(
    ("where", "side_by_side"), [("main", True), ("thread", False), ("none", False)]
)
def test_evaluations_from_many_threads_wherever_the_engine_loaded(
    where: str, side_by_side: bool
) -> None:
    # A fresh process each: V8 loaded off the main thread crashed (SIGSEGV) once isolates ran
    # at the same time; such processes now evaluate one at a time.
    done = subprocess.run(
        [sys.executable, "-c", _CONCURRENT, where], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(side_by_side)
