"""Agent sessions through a real server, driven by a stock-agent-faithful client."""

from __future__ import annotations

import asyncio
import json
import shlex
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.agentd.stock_agent import AgentConfig, StockAgent
from tests.support import LiveServer

pytestmark = pytest.mark.anyio

LIVE_SETTINGS = {"keepalive_check_interval": 0.2, "agent_send_queue_size": 4, "handler_user": ""}


def _get(admin: httpx.Client, path: str) -> Any:
    response = admin.get(f"/api/core/v2/namespaces/default/{path}")
    return response.json() if response.status_code == 200 else None


async def _on_server(live: LiveServer, coro: Any) -> Any:
    """Run ``coro`` on the server's event loop (sessions belong to it)."""
    assert live.loop is not None
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, live.loop))


async def _poll(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Like ``wait_for``, but lets the agent's event loop run meanwhile."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        result = predicate()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def test_entity_config_first_then_registration(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    name = unique("web")
    config = AgentConfig(name, subscriptions=["linux", "web"])
    async with StockAgent.connected(live.agent_url, config) as agent:
        kind, first = await agent.receive()
        assert kind == "entity_config"
        assert first == {
            "metadata": {"name": "not found", "namespace": "default"},
            "entity_class": "agent",
            "subscriptions": None,
            "deregister": False,
            "deregistration": {},
        }
        await agent.keepalive()
        entity = await _poll(lambda: _get(admin, f"entities/{name}"))
        assert entity["entity_class"] == "agent"
        assert entity["subscriptions"] == ["linux", "web", f"entity:{name}"]
        assert entity["system"]["hostname"] == name
        assert entity["sensu_agent_version"] == "6.12.0"
        assert entity["last_seen"] > 0
        event = await _poll(lambda: _get(admin, f"events/{name}/keepalive"))
        assert event["check"]["status"] == 0
        assert event["check"]["output"].startswith(f"Keepalive last sent from {name} at ")
        # Registration created the entity config: the session pushes it.
        pushed = await agent.receive_type("entity_config")
        assert pushed["metadata"]["name"] == name
        assert pushed["subscriptions"] == ["linux", "web", f"entity:{name}"]
        assert "system" not in pushed
        assert "last_seen" not in pushed


async def test_stored_entity_config_is_sent_first(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    name = unique("db")
    body = {
        "metadata": {"name": name, "labels": {"sensu.io/managed_by": "sensu-agent", "a": "b"}},
        "entity_class": "agent",
        "subscriptions": ["postgres"],
    }
    assert admin.post("/api/core/v2/namespaces/default/entities", json=body).status_code == 200
    registry = live.app.state.vigil.agents
    config = AgentConfig(name, subscriptions=["linux"])
    async with StockAgent.connected(live.agent_url, config) as agent:
        kind, first = await agent.receive()
        assert kind == "entity_config"
        assert first["metadata"] == {
            "name": name,
            "namespace": "default",
            "labels": {"a": "b"},
            "created_by": "admin",
        }
        assert first["subscriptions"] == ["postgres"]
        await _poll(lambda: registry.subscribed("default", "postgres") == [name])
        assert registry.subscribed("default", "linux") == []


async def test_results_go_through_event_ingestion(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    name = unique("app")
    async with StockAgent.connected(live.agent_url, AgentConfig(name)) as agent:
        await agent.receive()
        await agent.keepalive()
        await agent.result("disk", status=2, output="disk <full> & more")
        event = await _poll(lambda: _get(admin, f"events/{name}/disk"))
        assert event["check"]["status"] == 2
        assert event["check"]["output"] == "disk <full> & more"
        assert event["check"]["state"] == "failing"
        await agent.result("disk", status=0, output="ok")

        def resolved() -> bool:
            stored = _get(admin, f"events/{name}/disk") or {}
            return bool(stored.get("check", {}).get("status") == 0)

        await _poll(resolved)
        history = _get(admin, f"events/{name}/disk")["check"]["history"]
        assert [h["status"] for h in history] == [2, 0]


async def test_entity_change_is_pushed_and_delete_closes(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    name = unique("push")
    changes: list[str] = []
    registry = live.app.state.vigil.agents
    registry.on_change(changes.append)
    config = AgentConfig(name, subscriptions=["linux"])
    async with StockAgent.connected(live.agent_url, config) as agent:
        await agent.receive()
        await agent.keepalive()
        await agent.receive_type("entity_config")  # registration
        entity = _get(admin, f"entities/{name}")
        entity["subscriptions"] = ["linux", "nginx", f"entity:{name}"]
        entity["metadata"]["labels"] = {"tier": "front"}
        put = admin.put(f"/api/core/v2/namespaces/default/entities/{name}", json=entity)
        assert put.status_code == 200, put.text
        pushed = await agent.receive_type("entity_config")
        assert pushed["subscriptions"] == ["linux", "nginx", f"entity:{name}"]
        assert pushed["metadata"]["labels"] == {"tier": "front"}
        await _poll(lambda: registry.subscribed("default", "nginx") == [name])
        assert "default" in changes
        # Keepalives rewrite last_seen but not the config: nothing more is pushed.
        await agent.keepalive()
        with pytest.raises(TimeoutError):
            await agent.receive(timeout=0.5)
        assert admin.delete(f"/api/core/v2/namespaces/default/entities/{name}").status_code == 204
        with pytest.raises(ConnectionClosed) as closed:
            await agent.receive(timeout=10)
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1001, "entity deleted")
        await _poll(lambda: registry.session("default", name) is None)
        assert registry.subscribed("default", "nginx") == []


async def test_malformed_frames_are_dropped(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    name = unique("bad")
    other = unique("good")
    async with (
        StockAgent.connected(live.agent_url, AgentConfig(name)) as agent,
        StockAgent.connected(live.agent_url, AgentConfig(other)) as bystander,
    ):
        await agent.receive()
        await bystander.receive()
        for frame in (
            b"no newline",
            b"keepalive\n{not json",
            b"keepalive\n[]",
            b"keepalive\n{}",
            b'event\n{"entity": null, "check": {}}',
            b'event\n{"entity": {"metadata": {"name": "someone-else"}}, "check": {}}',
            b'event\n{"entity": {"metadata": {"name": "x", "namespace": "other"}}}',
            b"unknown\n{}",
            b"\xff\xfe\n{}",
        ):
            await agent.send_frame(frame)
        await agent.conn.send("keepalive\n{}")  # a text frame
        await agent.keepalive(timestamp=0)  # Sensu: "keepalive contains invalid timestamp"
        # The session and its neighbour still work.
        await agent.keepalive()
        await bystander.keepalive()
        await _poll(lambda: _get(admin, f"events/{name}/keepalive"))
        await _poll(lambda: _get(admin, f"events/{other}/keepalive"))
        assert _get(admin, "entities/someone-else") is None
    metrics = httpx.get(f"{live.url}/metrics").text
    assert 'vigil_agent_messages_rejected_total{type="keepalive"}' in metrics


async def test_missed_keepalive_after_disconnect(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    name = unique("gone")
    config = AgentConfig(name, keepalive_interval=1, keepalive_warning_timeout=1)
    async with StockAgent.connected(live.agent_url, config) as agent:
        await agent.receive()
        await agent.keepalive()
        await _poll(lambda: _get(admin, f"events/{name}/keepalive"))

    def failing() -> Any:
        event = _get(admin, f"events/{name}/keepalive")
        return event if event and event["check"]["status"] == 1 else None

    event = await _poll(failing)
    assert event["check"]["output"].startswith(f"No keepalive sent from {name} for ")


async def test_send_queue_is_bounded(live: LiveServer, unique: Callable[[str], str]) -> None:
    """A stalled agent: frames beyond the queue are refused, counted, and never block."""
    name = unique("slow")
    registry = live.app.state.vigil.agents
    async with StockAgent.connected(live.agent_url, AgentConfig(name)) as agent:
        await agent.receive()
        await _poll(lambda: registry.session("default", name) is not None)
        session = registry.session("default", name)
        # Park the sender, as a peer that stopped reading would.
        await _on_server(live, session.stop_sender())

        async def flood() -> list[bool]:
            sent = [registry.send("default", name, "check_request", b"{}") for _ in range(10)]
            return [*sent, registry.send("default", "nobody", "check_request", b"{}")]

        assert await _on_server(live, flood()) == [True] * 4 + [False] * 7
    metrics = httpx.get(f"{live.url}/metrics").text
    assert 'vigil_agent_messages_dropped_total{type="check_request"} 6.0' in metrics


async def test_explicit_nulls_everywhere(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    """What Go sends for empty lists and maps: ``null``, read as "not given"."""
    name = unique("nulls")
    async with StockAgent.connected(live.agent_url, AgentConfig(name)) as agent:
        await agent.receive()
        payload = (
            agent.keepalive_payload()
            .replace(b'"pipelines":[]', b'"pipelines":null')
            .replace(b'"handlers":[]', b'"handlers":null')
            .replace(
                b'"metadata":{"name":"keepalive","namespace":"default"}',
                b'"metadata":{"name":"keepalive","namespace":"default","labels":null}',
            )
        )
        assert payload.count(b"null") > 10
        await agent.send("keepalive", payload)
        entity = await _poll(lambda: _get(admin, f"entities/{name}"))
        assert entity["subscriptions"] == [f"entity:{name}"]
        event = await _poll(lambda: _get(admin, f"events/{name}/keepalive"))
        assert event["check"]["handlers"] == ["keepalive"]


async def test_a_new_connection_replaces_the_old(
    live: LiveServer, unique: Callable[[str], str]
) -> None:
    name = unique("twice")
    registry = live.app.state.vigil.agents
    async with StockAgent.connected(live.agent_url, AgentConfig(name)) as first:
        await first.receive()
        async with StockAgent.connected(live.agent_url, AgentConfig(name)) as second:
            await second.receive()
            with pytest.raises(ConnectionClosed) as closed:
                await first.receive(timeout=10)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.reason == "replaced by a new connection"
            assert registry.subscribed("default", f"entity:{name}") == [name]
        await _poll(lambda: registry.session("default", name) is None)


async def test_deregistration_after_disconnect(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    name = unique("ephemeral")
    config = AgentConfig(name, keepalive_warning_timeout=1, deregister=True)
    async with StockAgent.connected(live.agent_url, config) as agent:
        await agent.receive()
        await agent.keepalive()
        await _poll(lambda: _get(admin, f"entities/{name}"))
    await _poll(lambda: _get(admin, f"entities/{name}") is None)
    assert _get(admin, f"events/{name}/keepalive") is None


async def test_registration_event_reaches_the_registration_handler(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    drop = Path(tempfile.mkdtemp(prefix="vigil-agentd-"))
    drop.chmod(0o1777)  # handlers run as another user (--handler-user)
    namespace = unique("reg")
    assert admin.put(
        f"/api/core/v2/namespaces/{namespace}", json={"name": namespace}
    ).status_code in (
        200,
        201,
    )
    out = drop / "registration.json"
    handler = {
        "metadata": {"name": "registration", "namespace": namespace},
        "type": "pipe",
        "command": f"cat > {shlex.quote(str(out))}",
    }
    created = admin.post(f"/api/core/v2/namespaces/{namespace}/handlers", json=handler)
    assert created.status_code == 201, created.text
    name = unique("newcomer")
    async with StockAgent.connected(live.agent_url, AgentConfig(name, namespace)) as agent:
        await agent.receive()
        await agent.keepalive()
        await _poll(lambda: out.exists() and out.stat().st_size > 0)
    event = json.loads(out.read_text())
    assert event["check"]["metadata"]["name"] == "registration"
    assert event["check"]["status"] == 1
    assert event["entity"]["metadata"]["name"] == name
    missing = admin.get(f"/api/core/v2/namespaces/{namespace}/events/{name}/registration")
    assert missing.status_code == 404  # never stored
    shutil.rmtree(drop, ignore_errors=True)


async def test_oversized_frame_ends_only_that_session(
    live: LiveServer, unique: Callable[[str], str]
) -> None:
    """Frames are limited to --api-request-limit: a bigger one closes that session (1009)."""
    registry = live.app.state.vigil.agents
    name, other = unique("huge"), unique("calm")
    async with (
        StockAgent.connected(live.agent_url, AgentConfig(name)) as agent,
        StockAgent.connected(live.agent_url, AgentConfig(other)) as bystander,
    ):
        await agent.receive()
        await bystander.receive()
        await agent.send("event", b"x" * (live.settings.api_request_limit + 1))
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await agent.receive(timeout=10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1009
        await bystander.keepalive()
        await _poll(lambda: registry.session("default", name) is None)
        assert registry.session("default", other) is not None
