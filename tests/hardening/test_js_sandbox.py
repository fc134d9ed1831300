"""The JavaScript sandbox through the real server: no JavaScript on the event loop, nothing
crosses namespaces, limits fail one evaluation alone with a log line and a metric."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.test_pipeline_e2e import create, metric, post_event, received, spool_handler
from tests.support import LiveServer, client_for, token_for, wait_for
from vigil.settings import Settings

FAILURES = "vigil_js_evaluation_failures_total"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    state = str(tmp_path_factory.mktemp("state"))
    # Handlers write into the test's private directory: they run as the suite's own user.
    live = LiveServer(Settings(state_dir=state, js_timeout=2.0, handler_user="")).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    with client_for(server.url, token_for(server.url)) as client:
        yield client


def namespace(admin: httpx.Client, name: str) -> str:
    assert admin.put(f"/api/core/v2/namespaces/{name}", json={"name": name}).status_code < 300
    return name


def test_a_huge_filter_is_checked_off_the_event_loop(admin: httpx.Client) -> None:
    expressions = ["event.check.status == 1"] * 18000  # ~480 KB, compiled on a worker thread
    done = threading.Event()
    answers: list[int] = []

    def post() -> None:
        body = {"metadata": {"name": "huge"}, "action": "allow", "expressions": expressions}
        answers.append(admin.post("/api/core/v2/namespaces/default/filters", json=body).status_code)
        done.set()

    with httpx.Client(base_url=str(admin.base_url)) as other:
        other.get("/health")  # connected before the check starts
        started = time.monotonic()
        threading.Thread(target=post).start()
        slowest = 0.0
        while not done.is_set():
            sent = time.monotonic()
            assert other.get("/health").status_code == 200
            slowest = max(slowest, time.monotonic() - sent)
        took = time.monotonic() - started
    assert answers[0] in (201, 400)  # accepted, or "too large to check in time"
    # A check on the event loop would hold the first /health until it ended; off the loop,
    # every /health is answered while it runs. (A check too quick to tell proves nothing.)
    if took > 0.5:
        assert slowest < took * 0.8


def test_regexp_statics_do_not_carry_one_namespaces_data_into_another(
    admin: httpx.Client, tmp_path: Path
) -> None:
    a, b = namespace(admin, "tenant-a"), namespace(admin, "tenant-b")
    create(admin, a, "filters", metadata={"name": "peek"}, action="allow",
           expressions=["/(secret-\\w+)/.test(event.check.output) || true"])  # fmt: skip
    spool_a = spool_handler(admin, a, "h", tmp_path / "a", filters=["peek"])
    spy = "return JSON.stringify([RegExp.input, RegExp.lastMatch, typeof leak]);"
    create(admin, b, "mutators", metadata={"name": "spy"}, type="javascript", eval=spy)
    spool_b = spool_handler(admin, b, "h", tmp_path / "b", mutator="spy")
    post_event(admin, a, handlers=["h"], **{"check": {
        "metadata": {"name": "cpu"}, "status": 2, "output": "token secret-abc123",
        "handlers": ["h"]}})  # fmt: skip
    wait_for(lambda: received(spool_a))
    post_event(admin, b, handlers=["h"])
    (payload,) = wait_for(lambda: received(spool_b))
    assert json.loads(payload) == ["", "", "undefined"]


def test_limits_fail_one_evaluation_alone(admin: httpx.Client, tmp_path: Path) -> None:
    ns = namespace(admin, "limits")
    hogs = {
        "spin": ("timeout", "while (true) {}"),
        "hog": ("memory", "var a = []; while (true) { a.push(new Array(1e6).fill(1)); }"),
        "buffers": ("error", "new ArrayBuffer(1e9).byteLength > 0"),
        "jobs": ("error", "(function spin() { Promise.resolve().then(spin); })(); undefined()"),
    }
    for name, (_, expression) in hogs.items():
        create(admin, ns, "filters", metadata={"name": name}, action="allow",
               expressions=[expression])  # fmt: skip
    before = {reason: metric(admin, FAILURES, reason=reason) for reason, _ in hogs.values()}
    spool = spool_handler(admin, ns, "ok", tmp_path / "ok")
    for name in hogs:
        create(admin, ns, "handlers", metadata={"name": f"via-{name}"}, type="pipe",
               command="true", filters=[name])  # fmt: skip
        post_event(admin, ns, handlers=[f"via-{name}"])
    for reason in ("timeout", "memory"):
        wait_for(lambda r=reason: metric(admin, FAILURES, reason=r) > before[r])
    # The next evaluation runs normally.
    post_event(admin, ns, handlers=["ok"])
    assert wait_for(lambda: received(spool))
