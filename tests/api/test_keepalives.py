"""Keepalives through the real server: an entity that stops sending them fails, or is
deregistered and its deregistration handler runs (issue 5). Warning timeouts are 1 s and the
monitor runs every 0.1 s, so the waits below are generous bounds, not measurements."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support import wait_for

API = "/api/core/v2"
BOUND = 20.0  # seconds: far beyond the 1-2 s timeouts, only hit when something is broken
# Keepalive deadlines are checked every 0.1 s here (the default is 1 s).
# Handlers write into the test's private directory: they run as the suite's own user.
LIVE_SETTINGS = {"keepalive_check_interval": 0.1, "handler_user": ""}


def spool_handler(client: httpx.Client, namespace: str, name: str, spool: Path) -> None:
    """A pipe handler that writes every payload it gets to a new file in ``spool``."""
    spool.mkdir(exist_ok=True)
    body = {
        "metadata": {"name": name},
        "type": "pipe",
        "command": f'f=$(mktemp -p "{spool}" ev.XXXXXX) && cat > "$f"',
    }
    response = client.post(f"{API}/namespaces/{namespace}/handlers", json=body)
    assert response.status_code == 201, response.text


def spooled(spool: Path) -> list[dict[str, Any]]:
    docs = []
    for path in spool.glob("ev.*"):
        text = path.read_text()
        if text.endswith("}"):  # a handler may still be writing
            docs.append(json.loads(text))
    return docs


def keepalive(client: httpx.Client, namespace: str, entity: dict[str, Any], **check: Any) -> None:
    body = {"entity": entity, "check": {"metadata": {"name": "keepalive"}, **check}}
    response = client.post(f"{API}/namespaces/{namespace}/events", json=body)
    assert response.status_code == 201, response.text


def keepalive_event(client: httpx.Client, namespace: str, entity: str) -> dict[str, Any]:
    response = client.get(f"{API}/namespaces/{namespace}/events/{entity}/keepalive")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_silent_entity_gets_a_warning_then_a_critical_keepalive(
    admin: httpx.Client, namespace: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    spool_handler(admin, namespace, "ka-alerts", spool)
    entity = {"metadata": {"name": "ka1"}, "keepalive_handlers": ["ka-alerts"]}
    before = int(time.time())
    keepalive(admin, namespace, entity, timeout=1, ttl=5)

    ok = keepalive_event(admin, namespace, "ka1")
    check = ok["check"]
    assert (check["status"], check["state"], check["handlers"]) == (0, "passing", ["ka-alerts"])
    assert check["output"].startswith("Keepalive last sent from ka1 at ")
    assert before <= ok["entity"]["last_seen"] <= int(time.time())
    assert check["executed"] == check["issued"] >= before

    # Now it stops: past 1 s a warning, past 5 s (the smallest ttl a check may have) critical.
    warning = wait_for(lambda: keepalive_event(admin, namespace, "ka1")["check"]["status"] >= 1)
    assert warning
    critical = wait_for(
        lambda: (e := keepalive_event(admin, namespace, "ka1"))["check"]["status"] == 2 and e
    )
    assert critical["check"]["output"].startswith("No keepalive sent from ka1 for ")
    assert critical["check"]["output"].endswith("seconds (>= 5)")
    assert critical["check"]["state"] == "failing"
    assert [h["status"] for h in critical["check"]["history"]][:2] == [0, 1]

    # The keepalive handlers saw the OK and the failures.
    seen = wait_for(lambda: {d["check"]["status"] for d in spooled(spool)} >= {0, 1, 2})
    assert seen

    # The entity comes back: OK again, a fresh run of occurrences.
    keepalive(admin, namespace, entity, timeout=1, ttl=5)
    back = keepalive_event(admin, namespace, "ka1")["check"]
    assert (back["status"], back["occurrences"]) == (0, 1)
    assert back["history"][-1]["status"] == 0


def test_deregister_removes_the_entity_and_runs_its_handler(
    admin: httpx.Client, namespace: str, tmp_path: Path
) -> None:
    dereg, resolved = tmp_path / "dereg", tmp_path / "resolved"
    spool_handler(admin, namespace, "dereg", dereg)
    spool_handler(admin, namespace, "on-resolve", resolved)
    entity = {
        "metadata": {"name": "ka2"},
        "deregister": True,
        "deregistration": {"handler": "dereg"},
        "keepalive_handlers": ["none-such"],
    }
    keepalive(admin, namespace, entity, timeout=1)
    incident = {
        "entity": {"metadata": {"name": "ka2"}},
        "check": {"metadata": {"name": "disk"}, "status": 2, "handlers": ["on-resolve"]},
    }
    assert admin.post(f"{API}/namespaces/{namespace}/events", json=incident).status_code == 201
    assert admin.get(f"{API}/namespaces/{namespace}/entities/ka2").json()["deregister"] is True

    wait_for(lambda: admin.get(f"{API}/namespaces/{namespace}/entities/ka2").status_code == 404)
    assert admin.get(f"{API}/namespaces/{namespace}/events/ka2").json() == []

    (event,) = wait_for(lambda: spooled(dereg))
    assert event["check"]["metadata"]["name"] == "deregistration"
    assert event["check"]["handlers"] == ["dereg"]
    assert event["entity"]["metadata"]["name"] == "ka2"
    # Each stored event of the entity is handed on once more as a resolution.
    resolutions = wait_for(lambda: [d for d in spooled(resolved) if d["check"]["status"] == 0])
    assert resolutions[0]["check"]["output"] == "Resolving due to entity deregistering"
    assert resolutions[0]["check"]["metadata"]["name"] == "disk"


def test_proxy_entity_without_deregister_is_kept(admin: httpx.Client, namespace: str) -> None:
    keepalive(admin, namespace, {"metadata": {"name": "ka3"}}, timeout=1)
    wait_for(lambda: keepalive_event(admin, namespace, "ka3")["check"]["status"] == 1)
    assert admin.get(f"{API}/namespaces/{namespace}/entities/ka3").status_code == 200


def test_deleting_the_keepalive_event_stops_monitoring(admin: httpx.Client, namespace: str) -> None:
    keepalive(admin, namespace, {"metadata": {"name": "ka4"}}, timeout=1)
    url = f"{API}/namespaces/{namespace}/events/ka4/keepalive"
    assert admin.delete(url).status_code == 204
    # A witness armed later: once it has failed, ka4's earlier deadline has passed too.
    keepalive(admin, namespace, {"metadata": {"name": "ka5"}}, timeout=1)
    wait_for(lambda: keepalive_event(admin, namespace, "ka5")["check"]["status"] == 1)
    assert admin.get(url).status_code == 404
