"""The agent handshake through a real server: refusals before the upgrade, and the JSON
negotiation a stock agent reads."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.agentd.stock_agent import AgentConfig, StockAgent
from tests.support import LiveServer

pytestmark = pytest.mark.anyio


def _stored(admin: httpx.Client, namespace: str, agent: str) -> tuple[int, int]:
    entity = admin.get(f"/api/core/v2/namespaces/{namespace}/entities/{agent}").status_code
    events = admin.get(f"/api/core/v2/namespaces/{namespace}/events/{agent}")
    return entity, len(events.json()) if events.status_code == 200 else 0


async def test_upgrade_answers_json_and_backend_id(
    live: LiveServer, unique: Callable[[str], str]
) -> None:
    agent = StockAgent(live.agent_url, AgentConfig(unique("web")))
    answer = await agent.connect()
    try:
        assert answer.status == 101
        assert answer.values("Accept") == ["application/json"]
        assert answer.values("Content-Type") == ["application/json"]
        assert answer.values("Backend-ID") and answer.values("Backend-ID")[0]
    finally:
        await agent.close()


@pytest.mark.parametrize(
    ("change", "status", "body"),
    [
        ({"password": "wrong"}, 401, b"bad credentials\n"),
        ({"user": "nobody"}, 401, b"bad credentials\n"),
        ({"namespace": "nowhere"}, 404, b'namespace "nowhere" not found\n'),
    ],
)
async def test_refusals_store_nothing(
    live: LiveServer,
    admin: httpx.Client,
    unique: Callable[[str], str],
    change: dict[str, str],
    status: int,
    body: bytes,
) -> None:
    name = unique("refused")
    agent = StockAgent(live.agent_url, AgentConfig(name, **change))
    answer = await agent.connect()
    assert (answer.status, answer.body) == (status, body)
    assert _stored(admin, "default", name) == (404, 0)


async def test_missing_credentials(live: LiveServer, unique: Callable[[str], str]) -> None:
    agent = StockAgent(live.agent_url, AgentConfig(unique("anon")))
    headers = [(k, v) for k, v in agent.request_headers() if k != "Authorization"]
    answer = await agent.connect(headers)
    assert (answer.status, answer.body) == (401, b"missing credentials\n")


async def test_forbidden_without_create_events(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    """A user who may only read cannot open an agent session."""
    user = unique("viewer")
    created = admin.post(
        "/api/core/v2/users", json={"username": user, "password": "P@ssw0rd!x", "groups": []}
    )
    assert created.status_code == 201, created.text
    binding = {
        "metadata": {"name": user},
        "role_ref": {"type": "ClusterRole", "name": "view"},
        "subjects": [{"type": "User", "name": user}],
    }
    assert admin.post("/api/core/v2/clusterrolebindings", json=binding).status_code == 201
    name = unique("forbidden")
    agent = StockAgent(live.agent_url, AgentConfig(name, user=user, password="P@ssw0rd!x"))
    answer = await agent.connect()
    assert (answer.status, answer.body) == (403, b"Forbidden\n")
    assert _stored(admin, "default", name) == (404, 0)


def test_health_on_the_agent_port(live: LiveServer) -> None:
    url = live.agent_url.replace("ws://", "http://")
    response = httpx.get(f"{url}/health")
    assert response.status_code == 200
    assert response.json()["ClusterHealth"][0]["Healthy"] is True
