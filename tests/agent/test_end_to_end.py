"""``vigil start`` + ``vigil-agent start`` as real processes: the whole monitoring loop.

One backend and one agent serve the module; the last tests restart the backend and stop the
agent, so they run last (pytest keeps file order).
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import socket
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.agent.support import AgentProcess, Backend, poll
from tests.support import client_for, init_state, token_for

NS = "/api/core/v2/namespaces/default"
SUB = "e2e"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("agent-e2e")


@pytest.fixture(scope="module")
def server(root: Path) -> Iterator[Backend]:
    init_state(root / "state")
    backend = Backend(root / "state").start()
    yield backend
    backend.stop()


@pytest.fixture(scope="module")
def admin(server: Backend) -> Iterator[httpx.Client]:
    with client_for(server.url, token_for(server.url)) as client:
        yield client


@pytest.fixture(scope="module")
def agent(server: Backend, root: Path) -> Iterator[AgentProcess]:
    process = AgentProcess(
        "e2e-agent",
        [server.agent_url],
        root / "cache",
        "--subscriptions",
        SUB,
        "--labels",
        "team=ops",
        "--keepalive-warning-timeout",
        "5",
        "--keepalive-critical-timeout",
        "5",
        "--statsd-flush-interval",
        "1",
        "--statsd-event-handlers",
        "statsd-sink",
    ).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def www(root: Path) -> Iterator[tuple[str, Path]]:
    """A plain HTTP server for asset archives."""
    docs = root / "www"
    docs.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(docs), **kwargs)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", docs
    httpd.shutdown()
    httpd.server_close()


def fetch(admin: httpx.Client, path: str) -> dict[str, Any] | None:
    response = admin.get(f"{NS}/{path}")
    return response.json() if response.status_code == 200 else None


def event(admin: httpx.Client, entity: str, check: str) -> dict[str, Any] | None:
    return fetch(admin, f"events/{entity}/{check}")


def put(admin: httpx.Client, plural: str, name: str, spec: dict[str, Any]) -> None:
    body = {"metadata": {"name": name, "namespace": "default"}, **spec}
    response = admin.put(f"{NS}/{plural}/{name}", json=body)
    assert response.status_code in (200, 201), response.text


def put_check(admin: httpx.Client, name: str, command: str, **spec: Any) -> None:
    base = {"command": command, "interval": 1, "subscriptions": [SUB], "publish": True}
    put(admin, "checks", name, {**base, **spec})


def result(
    admin: httpx.Client, agent: AgentProcess, check: str, command: str, status: int, **spec: Any
) -> dict[str, Any]:
    """Schedule ``check`` every second on the agent's subscription and return its first stored
    result with ``status``; then stop scheduling it."""
    put_check(admin, check, command, **spec)

    def matching() -> dict[str, Any] | None:
        found = event(admin, agent.name, check)
        return found if found and found["check"]["status"] == status else None

    try:
        found: dict[str, Any] = poll(matching)
    except AssertionError:
        raise AssertionError(f"last: {event(admin, agent.name, check)}\n{agent.logs()}") from None
    put_check(admin, check, command, **{**spec, "publish": False})
    return found


def test_entity_and_keepalive_appear(admin: httpx.Client, agent: AgentProcess) -> None:
    entity = poll(lambda: fetch(admin, f"entities/{agent.name}"))
    assert entity["entity_class"] == "agent"
    assert SUB in entity["subscriptions"]
    assert entity["metadata"]["labels"]["team"] == "ops"
    assert entity["system"]["hostname"] == socket.gethostname()
    assert entity["system"]["os"] == "linux" and entity["system"]["arch"]
    assert entity["system"]["network"]["interfaces"]
    keepalive = poll(lambda: event(admin, agent.name, "keepalive"))
    assert keepalive["check"]["status"] == 0
    assert keepalive["check"]["timeout"] == 5 and keepalive["check"]["ttl"] == 5


def test_scheduled_echo_with_tokens(admin: httpx.Client, agent: AgentProcess) -> None:
    command = 'echo "hello {{ .name }} {{ .labels.team }} {{ .labels.nope | default "x" }}"'
    found = result(admin, agent, "echo-tokens", command, status=0)
    assert found["check"]["output"] == "hello e2e-agent ops x\n"
    assert found["check"]["command"] == command  # the text before substitution is reported
    assert found["check"]["processed_by"] == agent.name
    assert found["check"]["executed"] > 0 and found["check"]["issued"] > 0


def test_unmatched_token_is_a_failure_event(admin: httpx.Client, agent: AgentProcess) -> None:
    found = result(admin, agent, "bad-token", "echo {{ .labels.missing }}", status=3)
    assert "error while substituting check tokens" in found["check"]["output"]
    assert "unmatched token" in found["check"]["output"]


def test_failing_check_runs_its_hooks(admin: httpx.Client, agent: AgentProcess) -> None:
    put(admin, "hooks", "ps-hook", {"command": "echo hook ran; exit 1", "timeout": 10})
    put(admin, "hooks", "ok-hook", {"command": "echo never", "timeout": 10})
    hooks = [{"critical": ["ps-hook"]}, {"non-zero": ["ps-hook"]}, {"ok": ["ok-hook"]}]
    found = result(admin, agent, "failing", "echo broken; exit 2", status=2, check_hooks=hooks)
    assert found["check"]["output"] == "broken\n"
    [hook] = found["check"]["hooks"]  # each hook runs once
    assert hook["metadata"]["name"] == "ps-hook"
    assert hook["output"] == "hook ran\n" and hook["status"] == 1


def test_timeout_kills_the_whole_group(admin: httpx.Client, agent: AgentProcess) -> None:
    found = result(admin, agent, "slow", "sleep 30 & sleep 30; echo late", status=2, timeout=1)
    assert found["check"]["output"].startswith("Execution timed out")


def test_env_vars_stdin_and_metrics(admin: httpx.Client, agent: AgentProcess, root: Path) -> None:
    sink = root / "metrics.json"
    put(admin, "handlers", "influx", {"type": "pipe", "command": f"cat > {sink}"})
    command = (
        'read -r line; echo "$GREETING"; '
        'echo "$line" | grep -q e2e-agent && echo "load.avg;host=a 0.5 1700000000"'
    )
    found = result(
        admin,
        agent,
        "metrics",
        command,
        status=0,
        stdin=True,
        env_vars=["GREETING=hi.there 1 1700000000"],
        output_metric_format="graphite_plaintext",
        output_metric_handlers=["influx"],
    )
    assert found["check"]["output"].startswith("hi.there")
    handled = json.loads(poll(lambda: sink.exists() and sink.read_text()))
    points = {p["name"]: p for p in handled["metrics"]["points"]}
    assert points["load.avg"]["value"] == 0.5
    assert points["load.avg"]["tags"] == [{"name": "host", "value": "a"}]
    assert points["hi.there"]["timestamp"] == 1700000000
    assert handled["metrics"]["handlers"] == ["influx"]


def asset_archive() -> bytes:
    script = b"#!/bin/sh\necho from the asset\n"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("bin/hello-asset")
        info.mode, info.size = 0o755, len(script)
        tar.addfile(info, io.BytesIO(script))
    return buffer.getvalue()


def test_asset_is_verified_unpacked_and_on_path(
    admin: httpx.Client, agent: AgentProcess, www: tuple[str, Path], root: Path
) -> None:
    base, docs = www
    data = asset_archive()
    (docs / "hello.tgz").write_bytes(data)
    sha = hashlib.sha512(data).hexdigest()
    put(admin, "assets", "hello", {"url": f"{base}/hello.tgz", "sha512": sha})
    found = result(admin, agent, "asset-check", "hello-asset", status=0, runtime_assets=["hello"])
    assert found["check"]["output"] == "from the asset\n"
    assert (root / "cache" / "assets" / sha / "bin" / "hello-asset").is_file()


def test_corrupted_asset_is_a_failure_event(
    admin: httpx.Client, agent: AgentProcess, www: tuple[str, Path], root: Path
) -> None:
    base, docs = www
    (docs / "bad.tgz").write_bytes(asset_archive() + b"tampered")
    wrong = hashlib.sha512(asset_archive()).hexdigest()
    put(admin, "assets", "bad", {"url": f"{base}/bad.tgz", "sha512": wrong})
    found = result(admin, agent, "bad-asset", "hello-asset", status=3, runtime_assets=["bad"])
    assert found["check"]["output"].startswith("error getting assets for check: sha512 of")
    assert not any(p.name.startswith(".") for p in (root / "cache" / "assets").iterdir())


def test_agent_api_event_reaches_the_backend(admin: httpx.Client, agent: AgentProcess) -> None:
    body = {"check": {"metadata": {"name": "from-api"}, "status": 1, "output": "via api"}}
    response = httpx.post(f"{agent.api}/events", json=body)
    assert response.status_code == 202
    found = poll(lambda: event(admin, agent.name, "from-api"))
    assert found["check"]["output"] == "via api" and found["check"]["status"] == 1
    assert httpx.post(f"{agent.api}/events", json={"nothing": 1}).status_code == 400
    assert httpx.get(f"{agent.api}/healthz").text == "ok"
    assert "sensu_agent_messages_sent_total" in httpx.get(f"{agent.api}/metrics").text


def test_socket_input_reaches_the_backend(admin: httpx.Client, agent: AgentProcess) -> None:
    with socket.create_connection(("127.0.0.1", agent.socket_port), timeout=10) as conn:
        conn.sendall(b'{"name": "from-socket", "output": "via tcp", "status": 2}')
        assert conn.recv(16) == b"ok"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(b'{"name": "from-udp", "output": "via udp"}', ("127.0.0.1", agent.socket_port))
    assert poll(lambda: event(admin, agent.name, "from-socket"))["check"]["status"] == 2
    assert poll(lambda: event(admin, agent.name, "from-udp"))["check"]["output"] == "via udp"


def test_entity_config_from_the_backend_is_applied(
    admin: httpx.Client, agent: AgentProcess
) -> None:
    entity = fetch(admin, f"entities/{agent.name}")
    assert entity is not None
    entity["metadata"]["labels"] = {**entity["metadata"].get("labels", {}), "zone": "b"}
    entity["subscriptions"] = [*entity["subscriptions"], "extra"]
    response = admin.put(f"{NS}/entities/{agent.name}", json=entity)
    assert response.status_code in (200, 201), response.text
    found = result(admin, agent, "zone", "echo zone={{ .labels.zone }}", 0, subscriptions=["extra"])
    assert found["check"]["output"] == "zone=b\n"
    assert "extra" in found["entity"]["subscriptions"]


def test_proxy_results_and_statsd(admin: httpx.Client, agent: AgentProcess, root: Path) -> None:
    sink = root / "statsd.json"
    put(admin, "handlers", "statsd-sink", {"type": "pipe", "command": f"cat >> {sink}"})
    with socket.create_connection(("127.0.0.1", agent.socket_port), timeout=10) as conn:
        conn.sendall(b'{"name": "proxied", "output": "for db1", "source": "db1"}')
        assert conn.recv(16) == b"ok"
    found = poll(lambda: event(admin, "db1", "proxied"))
    assert found["entity"]["entity_class"] == "proxy"
    assert found["check"]["proxy_entity_name"] == "db1"

    def flushed() -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"e2e.hits:3|c", ("127.0.0.1", agent.statsd_port))
        return sink.exists() and "e2e.hits.value" in sink.read_text()

    poll(flushed)


def test_processes_listed_and_api_events_paced(
    admin: httpx.Client, agent: AgentProcess, server: Backend, root: Path
) -> None:
    """``--discover-processes`` fills ``system.processes``; ``--events-rate-limit`` holds API
    events past the burst in the queue (they are accepted, not refused), keepalives go on."""
    paced = AgentProcess(
        "e2e-paced",
        [server.agent_url],
        root / "cache-paced",
        "--discover-processes",
        "--events-rate-limit",
        "0.001",
        "--events-burst-limit",
        "2",
    ).start()
    try:
        for n in range(3):
            body = {"check": {"metadata": {"name": f"paced-{n}"}, "output": f"n={n}"}}
            assert httpx.post(f"{paced.api}/events", json=body).status_code == 202
        assert poll(lambda: event(admin, paced.name, "paced-0"))
        assert poll(lambda: event(admin, paced.name, "paced-1"))
        gauge = "sensu_agent_outbox_events 1.0"
        assert poll(lambda: gauge in httpx.get(f"{paced.api}/metrics").text)
        assert event(admin, paced.name, "paced-2") is None
        entity = poll(lambda: fetch(admin, f"entities/{paced.name}"))
        names = {p["name"] for p in entity["system"]["processes"]}
        assert names and all(isinstance(name, str) and name for name in names)
        before = entity["last_seen"]
        assert poll(lambda: (fetch(admin, f"entities/{paced.name}") or {})["last_seen"] > before)
        assert (fetch(admin, f"entities/{agent.name}") or {})["system"].get("processes") is None
    finally:
        paced.stop()


def test_backend_restart_loses_no_result(server: Backend, agent: AgentProcess, root: Path) -> None:
    server.stop()
    poll(lambda: agent.health() == 503)
    for n in range(5):
        body = {"check": {"metadata": {"name": f"offline-{n}"}, "output": f"n={n}"}}
        assert httpx.post(f"{agent.api}/events", json=body).status_code == 202
    restarted = Backend(root / "state", port=server.port, agent_port=server.agent_port).start()
    server.proc = restarted.proc  # the module fixture stops whichever runs
    server.log = restarted.log
    with client_for(server.url, token_for(server.url)) as admin:
        for n in range(5):
            found = poll(lambda n=n: event(admin, agent.name, f"offline-{n}"))
            assert found["check"]["output"] == f"n={n}"


def test_stopped_agent_goes_critical_and_ephemeral_one_deregisters(
    server: Backend, agent: AgentProcess, root: Path
) -> None:
    ephemeral = AgentProcess(
        "e2e-ephemeral",
        [server.agent_url],
        root / "cache-ephemeral",
        "--deregister",
        "--keepalive-warning-timeout",
        "5",
    ).start()
    with client_for(server.url, token_for(server.url)) as admin:
        poll(lambda: event(admin, ephemeral.name, "keepalive"))
        agent.stop()
        ephemeral.stop()

        def critical() -> bool:
            found = event(admin, agent.name, "keepalive")
            return bool(found) and found["check"]["status"] == 2  # type: ignore[index]

        poll(critical)
        poll(lambda: admin.get(f"{NS}/entities/{ephemeral.name}").status_code == 404)
