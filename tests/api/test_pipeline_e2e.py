"""The handler pipeline end to end: events POSTed to the real server reach real handlers,
through real filters and mutators (issue 5).

Order is what makes the negative cases deterministic: one event's legacy workflows run one
after another, sorted by handler name, so when the ``z-marker`` handler has written its file
every workflow before it has been decided.
"""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support import wait_for

# JavaScript gets 0.5 s here, so the endless filter is stopped quickly. Handlers write into
# the test's private temporary directory, so they run as the suite's own user (isolation has
# its own tests in tests/hardening).
LIVE_SETTINGS = {"js_timeout": 0.5, "handler_user": ""}

API = "/api/core/v2"
BOUND = 20.0  # seconds; a generous bound for work that takes milliseconds
LOOP_FOREVER = "(function () { while (true) {} })()"


def create(client: httpx.Client, namespace: str, kind: str, **body: Any) -> None:
    response = client.post(f"{API}/namespaces/{namespace}/{kind}", json=body)
    assert response.status_code in (200, 201), response.text


def spool_handler(
    client: httpx.Client, namespace: str, name: str, spool: Path, **extra: Any
) -> Path:
    """A pipe handler writing each payload it receives to a new file in ``spool``."""
    spool.mkdir(parents=True, exist_ok=True)
    command = f'f=$(mktemp -p "{spool}" .in.XXXXXX) && cat > "$f" && mv "$f" "$f.done"'
    create(client, namespace, "handlers", metadata={"name": name}, type="pipe", command=command,
           **extra)  # fmt: skip
    return spool


def received(spool: Path) -> list[bytes]:
    return [path.read_bytes() for path in sorted(spool.glob("*.done"))]


def post_event(
    client: httpx.Client, namespace: str, status: int = 2, handlers: list[str] | None = None,
    **extra: Any,
) -> None:  # fmt: skip
    check = {"metadata": {"name": "cpu"}, "status": status, "output": "cpu at 99%"}
    body = {"entity": {"metadata": {"name": "web1"}}, "check": dict(check, handlers=handlers or [])}
    body.update(extra)
    response = client.post(f"{API}/namespaces/{namespace}/events", json=body)
    assert response.status_code == 201, response.text


def metric(client: httpx.Client, name: str, **labels: str) -> float:
    """The current value of one sample of ``/metrics`` (0 when absent)."""
    text = client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def with_marker(client: httpx.Client, namespace: str, tmp_path: Path) -> Path:
    """The ``z-marker`` handler; its spool fills once every earlier workflow was decided."""
    return spool_handler(client, namespace, "z-marker", tmp_path / "marker")


# --- pipe handlers, sets -----------------------------------------------------------------------


def test_pipe_handler_receives_the_stored_event(
    admin: httpx.Client, namespace: str, tmp_path: Path
) -> None:
    spool = spool_handler(
        admin, namespace, "h", tmp_path / "h", env_vars=["GREETING=hi"], timeout=10
    )
    post_event(admin, namespace, handlers=["h"])
    (payload,) = wait_for(lambda: received(spool))
    event = json.loads(payload)
    assert event["check"]["metadata"]["name"] == "cpu"
    assert event["check"]["history"] == [{"status": 2, "executed": 0}]
    assert event["check"]["state"] == "failing"
    assert event["entity"]["subscriptions"] == ["entity:web1"]
    stored = admin.get(f"{API}/namespaces/{namespace}/events/web1/cpu").json()
    assert event["id"] == stored["id"]


def test_a_handler_may_ignore_its_stdin(admin: httpx.Client, namespace: str) -> None:
    create(admin, namespace, "handlers", metadata={"name": "deaf"}, type="pipe", command="true")
    name = "vigil_pipeline_handler_results_total"
    before = metric(admin, name, type="pipe", result="ok")
    for _ in range(5):
        post_event(admin, namespace, handlers=["deaf"])
    wait_for(lambda: metric(admin, name, type="pipe", result="ok") >= before + 5)


def test_handler_env_vars_reach_the_command(
    admin: httpx.Client, namespace: str, tmp_path: Path
) -> None:
    out = tmp_path / "env.txt"
    create(admin, namespace, "handlers", metadata={"name": "envy"}, type="pipe",
           command=f'echo "$GREETING" > "{out}.tmp" && mv "{out}.tmp" "{out}"',
           env_vars=["GREETING=hello from vigil"])  # fmt: skip
    post_event(admin, namespace, handlers=["envy"])
    assert wait_for(lambda: out.exists() and out.read_text()) == "hello from vigil\n"


def test_handler_sets_expand_to_their_members(
    admin: httpx.Client, namespace: str, tmp_path: Path
) -> None:
    one = spool_handler(admin, namespace, "one", tmp_path / "one")
    two = spool_handler(admin, namespace, "two", tmp_path / "two")
    create(admin, namespace, "handlers", metadata={"name": "inner"}, type="set",
           handlers=["two", "missing"])  # fmt: skip
    create(admin, namespace, "handlers", metadata={"name": "team"}, type="set",
           handlers=["one", "inner"])  # fmt: skip
    marker = with_marker(admin, namespace, tmp_path)
    # "one" is named twice (directly and through the set): it still runs once.
    post_event(admin, namespace, handlers=["team", "one", "z-marker", "nobody"])
    wait_for(lambda: received(marker))
    assert len(received(one)) == 1
    assert len(received(two)) == 1


# --- filters -----------------------------------------------------------------------------------


def test_javascript_filters_allow_and_deny(
    admin: httpx.Client, namespace: str, tmp_path: Path
) -> None:
    create(admin, namespace, "filters", metadata={"name": "only-crit"}, action="allow",
           expressions=["event.check.status == 2", "event.entity.name == 'web1'"])  # fmt: skip
    create(admin, namespace, "filters", metadata={"name": "no-web"}, action="deny",
           expressions=["event.entity.name.indexOf('web') == 0"])  # fmt: skip
    allowed = spool_handler(admin, namespace, "a-allowed", tmp_path / "a", filters=["only-crit"])
    denied = spool_handler(admin, namespace, "b-denied", tmp_path / "b", filters=["no-web"])
    marker = with_marker(admin, namespace, tmp_path)

    post_event(admin, namespace, 2, handlers=["a-allowed", "b-denied", "z-marker"])
    wait_for(lambda: received(marker))
    assert len(received(allowed)) == 1
    assert received(denied) == []

    post_event(admin, namespace, 1, handlers=["a-allowed", "z-marker"])  # not allowed: 1 != 2
    wait_for(lambda: len(received(marker)) == 2)
    assert len(received(allowed)) == 1


def test_builtin_filters(admin: httpx.Client, namespace: str, tmp_path: Path) -> None:
    incidents = spool_handler(admin, namespace, "a-incidents", tmp_path / "a",
                              filters=["is_incident", "not_silenced"])  # fmt: skip
    marker = with_marker(admin, namespace, tmp_path)
    handlers = ["a-incidents", "z-marker"]
    for status in (0, 2, 2, 0, 0):  # OK (dropped), incident, incident, resolution, OK (dropped)
        post_event(admin, namespace, status, handlers=handlers)
    create(admin, namespace, "silenced", check="cpu")
    post_event(admin, namespace, 2, handlers=handlers)  # silenced: dropped
    wait_for(lambda: len(received(marker)) == 6)
    statuses = [json.loads(p)["check"]["status"] for p in received(incidents)]
    assert sorted(statuses) == [0, 2, 2]


def test_endless_filter_is_stopped_and_the_server_stays_responsive(
    admin: httpx.Client, namespace: str, tmp_path: Path
) -> None:
    create(admin, namespace, "filters", metadata={"name": "spin"}, action="allow",
           expressions=[LOOP_FOREVER])  # fmt: skip
    spun = spool_handler(admin, namespace, "a-spin", tmp_path / "spin", filters=["spin"])
    errors = metric(admin, "vigil_pipeline_filter_errors_total")

    for _ in range(3):
        post_event(admin, namespace, handlers=["a-spin"])
    # While the engines spin, the API answers and ingestion goes on.
    for _ in range(5):
        assert admin.get("/health").status_code == 200
        post_event(admin, namespace)
    wait_for(lambda: metric(admin, "vigil_pipeline_filter_errors_total") >= errors + 3)
    assert received(spun) == []

    # The pipeline is not stuck: the next event is handled.
    after = spool_handler(admin, namespace, "after", tmp_path / "after")
    post_event(admin, namespace, handlers=["after"])
    wait_for(lambda: received(after))


# --- mutators, sockets, pipelines --------------------------------------------------------------


def test_mutators(admin: httpx.Client, namespace: str, tmp_path: Path) -> None:
    create(admin, namespace, "mutators", metadata={"name": "upper"}, type="javascript",
           eval="return event.check.metadata.name.toUpperCase() + ':' + PREFIX;",
           env_vars=["PREFIX=js"])  # fmt: skip
    create(admin, namespace, "mutators", metadata={"name": "shout"}, command="tr a-z A-Z")
    js_out = spool_handler(admin, namespace, "js", tmp_path / "js", mutator="upper")
    pipe_out = spool_handler(admin, namespace, "pipe", tmp_path / "pipe", mutator="shout")
    raw = spool_handler(admin, namespace, "raw", tmp_path / "raw", mutator="only_check_output")
    post_event(admin, namespace, handlers=["js", "pipe", "raw"])
    assert wait_for(lambda: received(js_out)) == [b"CPU:js"]
    (shouted,) = wait_for(lambda: received(pipe_out))
    assert b'"OUTPUT":"CPU AT 99%"' in shouted  # the event JSON, upper-cased by `tr`
    assert wait_for(lambda: received(raw)) == [b"cpu at 99%"]


class TCPSink:
    """Accepts connections on a free local port and keeps what each one sent."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.payloads: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with self.server:
            while True:
                try:
                    conn, _ = self.server.accept()
                except OSError:
                    return
                with conn:
                    chunks = []
                    while chunk := conn.recv(65536):
                        chunks.append(chunk)
                    self.payloads.append(b"".join(chunks))

    def close(self) -> None:
        self.server.close()


def test_tcp_and_udp_handlers(admin: httpx.Client, namespace: str) -> None:
    sink = TCPSink()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(BOUND)
    try:
        create(admin, namespace, "handlers", metadata={"name": "tcp"}, type="tcp",
               socket={"host": "127.0.0.1", "port": sink.port}, timeout=5)  # fmt: skip
        create(admin, namespace, "handlers", metadata={"name": "udp"}, type="udp",
               socket={"host": "127.0.0.1", "port": udp.getsockname()[1]})  # fmt: skip
        post_event(admin, namespace, handlers=["tcp", "udp"])
        (payload,) = wait_for(lambda: list(sink.payloads))
        assert json.loads(payload)["check"]["metadata"]["name"] == "cpu"
        datagram, _ = udp.recvfrom(65535)
        assert json.loads(datagram)["entity"]["metadata"]["name"] == "web1"
    finally:
        sink.close()
        udp.close()


def test_pipeline_resource_workflows(admin: httpx.Client, namespace: str, tmp_path: Path) -> None:
    out = spool_handler(admin, namespace, "out", tmp_path / "out")
    marker = with_marker(admin, namespace, tmp_path)

    def ref(kind: str, name: str) -> dict[str, str]:
        return {"name": name, "type": kind, "api_version": "core/v2"}

    workflows = [
        {
            "name": "incidents-as-text",
            "filters": [ref("EventFilter", "is_incident")],
            "mutator": ref("Mutator", "only_check_output"),
            "handler": ref("Handler", "out"),
        },
        {"name": "always", "handler": ref("Handler", "z-marker")},
    ]
    create(admin, namespace, "pipelines", metadata={"name": "ops"}, workflows=workflows)
    pipelines = [ref("Pipeline", "ops")]
    post_event(admin, namespace, 2, pipelines=pipelines)
    post_event(admin, namespace, 0, pipelines=pipelines)  # resolution: passes is_incident
    post_event(admin, namespace, 0, pipelines=pipelines)  # OK after OK: filtered out
    wait_for(lambda: len(received(marker)) == 3)
    assert received(out) == [b"cpu at 99%", b"cpu at 99%"]


def test_failures_are_counted_in_metrics(admin: httpx.Client, namespace: str) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    create(admin, namespace, "handlers", metadata={"name": "fails"}, type="pipe", command="exit 3")
    create(admin, namespace, "handlers", metadata={"name": "refused"}, type="tcp",
           socket={"host": "127.0.0.1", "port": port}, timeout=5)  # fmt: skip
    create(admin, namespace, "mutators", metadata={"name": "broken"}, command="exit 1")
    create(admin, namespace, "handlers", metadata={"name": "mutated"}, type="pipe",
           command="cat", mutator="broken")  # fmt: skip
    name = "vigil_pipeline_handler_results_total"
    before = {kind: metric(admin, name, type=kind, result="error") for kind in ("pipe", "tcp")}
    post_event(admin, namespace, handlers=["fails"])
    post_event(admin, namespace, handlers=["refused"])
    post_event(admin, namespace, handlers=["mutated"])
    wait_for(lambda: metric(admin, name, type="pipe", result="error") >= before["pipe"] + 2)
    wait_for(lambda: metric(admin, name, type="tcp", result="error") >= before["tcp"] + 1)
