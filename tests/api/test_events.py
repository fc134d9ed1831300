"""Event ingestion through the real server: Sensu's state rules, checked against hand-computed
values (issue 5). Every write is read back right after its 201: ingestion is durable when it
answers, where Sensu only queues."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

API = "/api/core/v2"
OK, WARN, CRIT = 0, 1, 2


def event(entity: str, check: str | None, status: int = 0, **check_fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"entity": {"metadata": {"name": entity}}}
    if check is not None:
        doc["check"] = {"metadata": {"name": check}, "status": status, **check_fields}
    return doc


def post(client: httpx.Client, namespace: str, doc: dict[str, Any]) -> None:
    response = client.post(f"{API}/namespaces/{namespace}/events", json=doc)
    assert response.status_code == 201, response.text
    assert response.content == b""


def stored(client: httpx.Client, namespace: str, entity: str, check: str) -> dict[str, Any]:
    response = client.get(f"{API}/namespaces/{namespace}/events/{entity}/{check}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def send_all(
    client: httpx.Client, namespace: str, statuses: list[int], **check_fields: Any
) -> list[dict[str, Any]]:
    """POST one result per status (executed = 1000 + index) and read each one back."""
    checks = []
    for index, status in enumerate(statuses):
        post(client, namespace, event("web1", "cpu", status, executed=1000 + index, **check_fields))
        checks.append(stored(client, namespace, "web1", "cpu")["check"])
    return checks


# --- history, occurrences, state ------------------------------------------------------------


def test_occurrences_follow_sensus_worked_sequence(admin: httpx.Client, namespace: str) -> None:
    # Sensu's documented example: OK,OK; WARN x3; CRIT x4; OK; CRIT.
    statuses = [OK, OK, WARN, WARN, WARN, CRIT, CRIT, CRIT, CRIT, OK, CRIT]
    checks = send_all(admin, namespace, statuses)
    got = [(c["occurrences"], c["occurrences_watermark"]) for c in checks]
    assert got == [(1, 1), (2, 2), (1, 1), (2, 2), (3, 3), (1, 3), (2, 3), (3, 3), (4, 4),
                   (1, 4), (1, 1)]  # fmt: skip
    states = [c["state"] for c in checks]
    assert states == ["passing"] * 2 + ["failing"] * 7 + ["passing", "failing"]
    # last_ok is the `executed` of the latest OK result.
    assert [c["last_ok"] for c in checks] == [1000, 1001] + [1001] * 7 + [1009, 1009]
    assert checks[-1]["history"] == [
        {"status": s, "executed": 1000 + i} for i, s in enumerate(statuses)
    ]
    assert all(c["total_state_change"] == 0 for c in checks)  # fewer than 21 entries


def test_history_keeps_the_last_21_and_full_alternation_flaps(
    admin: httpx.Client, namespace: str
) -> None:
    statuses = [i % 2 for i in range(23)]  # 0,1,0,1,...
    checks = send_all(admin, namespace, statuses, low_flap_threshold=10, high_flap_threshold=50)
    assert [len(c["history"]) for c in checks] == [*range(1, 22), 21, 21]
    assert checks[-1]["history"][0] == {"status": 0, "executed": 1002}
    assert checks[-1]["history"][-1] == {"status": 0, "executed": 1022}
    # 20 changes weigh 0.80 + 0.82 + ... + 1.18 = 19.8. Sensu divides in float32:
    # 19.8 -> 19.7999992, / 20 -> 0.98999995, * 100 -> 98.999992, truncated: 98 (not 99).
    assert [c["total_state_change"] for c in checks] == [0] * 20 + [98, 98, 98]
    assert [c["state"] for c in checks[:20]] == ["passing", "failing"] * 10
    assert [c["state"] for c in checks[20:]] == ["flapping"] * 3
    # A flapping OK result does not advance last_ok (last non-flapping OK: index 18).
    assert checks[20]["last_ok"] == checks[22]["last_ok"] == 1018
    assert checks[22]["occurrences"] == 1


def test_flapping_uses_the_high_threshold_only(admin: httpx.Client, namespace: str) -> None:
    # 21 results: CRIT, then 19 x OK, then CRIT: changes at steps 1 and 20.
    statuses = [CRIT] + [OK] * 19 + [CRIT, CRIT]
    checks = send_all(admin, namespace, statuses, low_flap_threshold=5, high_flap_threshold=9)
    # Step 1 weighs 0.80, step 20 weighs 1.18: 1.98 / 20 * 100 = 9.9 -> 9 >= high: flapping.
    assert checks[20]["total_state_change"] == 9
    assert checks[20]["state"] == "flapping"
    # The oldest CRIT drops out: one change left, at step 19 (1.16): 5.8 -> 5. That is above
    # the low threshold, but Sensu never marks history entries as flapping, so no hysteresis.
    assert checks[21]["total_state_change"] == 5
    assert checks[21]["state"] == "failing"
    assert (checks[21]["occurrences"], checks[21]["occurrences_watermark"]) == (2, 2)


def test_one_threshold_zero_never_flaps(admin: httpx.Client, namespace: str) -> None:
    checks = send_all(admin, namespace, [i % 2 for i in range(21)], high_flap_threshold=50)
    assert checks[-1]["total_state_change"] == 98
    assert checks[-1]["state"] == "passing"


def test_caller_history_and_counters_count_only_on_the_first_result(
    admin: httpx.Client, namespace: str
) -> None:
    first = event("web1", "cpu", OK, executed=500, occurrences=7, occurrences_watermark=9)
    first["check"]["history"] = [{"status": 2, "executed": 5}]
    post(admin, namespace, first)
    check = stored(admin, namespace, "web1", "cpu")["check"]
    assert check["history"] == [{"status": 2, "executed": 5}, {"status": 0, "executed": 500}]
    # Last two statuses differ: occurrences restart at 1; the watermark (9) is kept.
    assert (check["occurrences"], check["occurrences_watermark"]) == (1, 9)
    assert (check["state"], check["last_ok"]) == ("passing", 500)

    second = event("web1", "cpu", OK, executed=600, occurrences=50, occurrences_watermark=50)
    second["check"]["history"] = [{"status": 1, "executed": 1}] * 5
    post(admin, namespace, second)
    check = stored(admin, namespace, "web1", "cpu")["check"]
    assert check["history"] == [
        {"status": 2, "executed": 5},
        {"status": 0, "executed": 500},
        {"status": 0, "executed": 600},
    ]
    assert (check["occurrences"], check["occurrences_watermark"], check["last_ok"]) == (2, 9, 600)


def test_defaults_id_timestamp_executed_issued(admin: httpx.Client, namespace: str) -> None:
    before = int(time.time())
    post(admin, namespace, event("web1", "cpu", OK))
    after = int(time.time())
    got = stored(admin, namespace, "web1", "cpu")
    uuid.UUID(got["id"])
    assert before <= got["timestamp"] <= after
    check = got["check"]
    # Nothing sets executed/issued for API events, so last_ok is 0 (as Sensu documents).
    assert (check["executed"], check["issued"], check["last_ok"]) == (0, 0, 0)
    assert check["history"] == [{"status": 0, "executed": 0}]
    assert got["metadata"]["created_by"] == check["metadata"]["created_by"] == "admin"

    given = str(uuid.uuid4())
    doc = event("web1", "cpu", OK, executed=77, issued=70)
    doc.update(id=given, timestamp=1234)
    post(admin, namespace, doc)
    got = stored(admin, namespace, "web1", "cpu")
    assert (got["id"], got["timestamp"]) == (given, 1234)
    assert (got["check"]["executed"], got["check"]["issued"]) == (77, 70)


def test_output_is_truncated_for_storage(admin: httpx.Client, namespace: str) -> None:
    post(admin, namespace, event("web1", "cpu", WARN, output="x" * 30, max_output_size=10))
    got = stored(admin, namespace, "web1", "cpu")
    assert got["check"]["output"] == "x" * 10
    assert got["metadata"]["labels"]["sensu.io/output_truncated_bytes"] == "20"


def test_concurrent_results_for_one_check_all_count(admin: httpx.Client, namespace: str) -> None:
    def send(_: int) -> int:
        url = f"{API}/namespaces/{namespace}/events/web1/cpu"
        return admin.put(url, json=event("web1", "cpu", WARN)).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(send, range(40))) == {201}
    check = stored(admin, namespace, "web1", "cpu")["check"]
    assert len(check["history"]) == 21
    assert (check["occurrences"], check["occurrences_watermark"]) == (40, 40)


# --- entities ---------------------------------------------------------------------------------


def test_first_event_creates_a_proxy_entity_that_later_events_cannot_change(
    admin: httpx.Client, namespace: str
) -> None:
    doc = event("sw1", "ping", OK)
    doc["entity"].update(subscriptions=["net"], metadata={"name": "sw1", "labels": {"a": "1"}})
    post(admin, namespace, doc)
    entity = admin.get(f"{API}/namespaces/{namespace}/entities/sw1").json()
    assert entity["entity_class"] == "proxy"
    assert entity["subscriptions"] == ["net", "entity:sw1"]
    assert entity["metadata"]["labels"] == {"a": "1"}

    doc["entity"].update(subscriptions=["other"], metadata={"name": "sw1", "labels": {"a": "2"}})
    post(admin, namespace, doc)
    again = admin.get(f"{API}/namespaces/{namespace}/entities/sw1").json()
    assert again["metadata"]["labels"] == {"a": "1"}
    # The event carries the stored entity, not the one it was sent with.
    assert stored(admin, namespace, "sw1", "ping")["entity"]["subscriptions"] == [
        "net",
        "entity:sw1",
    ]


def test_proxy_entity_name_targets_another_entity(admin: httpx.Client, namespace: str) -> None:
    post(admin, namespace, event("poller", "http", OK, proxy_entity_name="site1"))
    entity = admin.get(f"{API}/namespaces/{namespace}/entities/site1").json()
    assert entity["subscriptions"] == ["entity:site1"]
    assert stored(admin, namespace, "site1", "http")["entity"]["metadata"]["name"] == "site1"
    assert admin.get(f"{API}/namespaces/{namespace}/entities/poller").status_code == 404


def test_agent_entities_are_not_created_by_events(admin: httpx.Client, namespace: str) -> None:
    doc = event("agent1", "cpu", OK)
    doc["entity"]["entity_class"] = "agent"
    post(admin, namespace, doc)
    assert stored(admin, namespace, "agent1", "cpu")["entity"]["entity_class"] == "agent"
    assert admin.get(f"{API}/namespaces/{namespace}/entities/agent1").status_code == 404


def test_metrics_only_events_are_accepted_not_stored(admin: httpx.Client, namespace: str) -> None:
    doc = event("m1", None)
    doc["metrics"] = {"points": [{"name": "cpu.idle", "value": 99.5, "timestamp": 1}]}
    post(admin, namespace, doc)
    assert admin.get(f"{API}/namespaces/{namespace}/events/m1").json() == []
    assert admin.get(f"{API}/namespaces/{namespace}/entities/m1").status_code == 404


def test_metrics_are_not_stored_with_a_check(admin: httpx.Client, namespace: str) -> None:
    doc = event("m1", "cpu", OK)
    doc["metrics"] = {"points": [{"name": "cpu.idle", "value": 1.0}]}
    post(admin, namespace, doc)
    assert "metrics" not in stored(admin, namespace, "m1", "cpu")


# --- routes, validation -----------------------------------------------------------------------


def test_put_and_post_on_the_item_fill_names_from_the_url(
    admin: httpx.Client, namespace: str
) -> None:
    url = f"{API}/namespaces/{namespace}/events/web1/cpu"
    body = {"entity": {}, "check": {"status": 1}}
    assert admin.put(url, json=body).status_code == 201
    assert admin.post(url, json=body).status_code == 201
    check = stored(admin, namespace, "web1", "cpu")["check"]
    assert (check["occurrences"], len(check["history"])) == (2, 2)


MISMATCHES = {
    "entity name": ("events/web2/cpu", event("web1", "cpu")),
    "check name": ("events/web1/mem", event("web1", "cpu")),
    "entity namespace": (
        "events",
        {"entity": {"metadata": {"name": "web1", "namespace": "elsewhere"}}, "check": {}},
    ),
    "check namespace": (
        "events/web1/cpu",
        {"entity": {}, "check": {"metadata": {"name": "cpu", "namespace": "elsewhere"}}},
    ),
}


@pytest.mark.parametrize("case", MISMATCHES, ids=list(MISMATCHES))
def test_url_body_mismatch_is_400_and_stores_nothing(
    admin: httpx.Client, namespace: str, case: str
) -> None:
    path, body = MISMATCHES[case]
    response = admin.put(f"{API}/namespaces/{namespace}/{path}", json=body)
    if path == "events":
        response = admin.post(f"{API}/namespaces/{namespace}/{path}", json=body)
    assert response.status_code == 400, response.text
    assert "does not match" in response.json()["message"]
    assert admin.get(f"{API}/namespaces/{namespace}/events").json() == []
    assert admin.get(f"{API}/namespaces/{namespace}/entities").json() == []


INVALID = {
    "named event": ({"metadata": {"name": "e"}, **event("web1", "cpu")}, "cannot be named"),
    "no entity": ({"check": {"metadata": {"name": "cpu"}}}, "must contain an entity"),
    "no check or metrics": ({"entity": {"metadata": {"name": "web1"}}}, "check or metrics"),
    "bad id": ({"id": "not-a-uuid", **event("web1", "cpu")}, "invalid UUID"),
    "bad check name": (event("web1", "cpu here"), "check is invalid"),
    "bad entity name": (event("web 1", "cpu"), "entity is invalid"),
    "not an object": ([1, 2], ""),
}


@pytest.mark.parametrize("case", INVALID, ids=list(INVALID))
def test_invalid_events_are_400(admin: httpx.Client, namespace: str, case: str) -> None:
    body, message = INVALID[case]
    response = admin.post(f"{API}/namespaces/{namespace}/events", json=body)
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]
    assert admin.get(f"{API}/namespaces/{namespace}/events").json() == []


def test_malformed_json_is_400(admin: httpx.Client, namespace: str) -> None:
    response = admin.post(f"{API}/namespaces/{namespace}/events", content=b"{nope")
    assert response.status_code == 400


def test_unknown_namespace_is_404(admin: httpx.Client, unique: Callable[[str], str]) -> None:
    response = admin.post(f"{API}/namespaces/{unique('gone')}/events", json=event("a", "b"))
    assert response.status_code == 404


def test_anonymous_writes_are_refused(anon: httpx.Client) -> None:
    assert anon.post(f"{API}/namespaces/default/events", json=event("a", "b")).status_code == 401


# --- reads and deletes ------------------------------------------------------------------------


def test_delete_event(admin: httpx.Client, namespace: str) -> None:
    post(admin, namespace, event("web1", "cpu", CRIT))
    url = f"{API}/namespaces/{namespace}/events/web1/cpu"
    assert admin.delete(url).status_code == 204
    assert admin.get(url).status_code == 404
    missing = admin.delete(url)
    assert missing.status_code == 404
    assert missing.json()["code"] == 2
    # The entity stays; a new result starts a fresh history.
    assert admin.get(f"{API}/namespaces/{namespace}/entities/web1").status_code == 200
    post(admin, namespace, event("web1", "cpu", OK))
    assert stored(admin, namespace, "web1", "cpu")["check"]["history"] == [
        {"status": 0, "executed": 0}
    ]


def test_events_of_one_entity_and_across_namespaces(
    admin: httpx.Client, namespace: str, unique: Callable[[str], str]
) -> None:
    other = unique("ns")
    assert admin.post(f"{API}/namespaces", json={"name": other}).status_code == 201
    for entity, check in [("web1", "cpu"), ("web1", "mem"), ("web10", "cpu"), ("db", "disk")]:
        post(admin, namespace, event(entity, check))
    post(admin, other, event("web1", "cpu"))

    own = admin.get(f"{API}/namespaces/{namespace}/events/web1").json()
    assert [e["check"]["metadata"]["name"] for e in own] == ["cpu", "mem"]
    assert admin.get(f"{API}/namespaces/{namespace}/events/nobody").json() == []

    every = admin.get(f"{API}/events").json()
    keys = {(e["metadata"]["namespace"], e["entity"]["metadata"]["name"]) for e in every}
    assert {(namespace, "web1"), (namespace, "web10"), (namespace, "db"), (other, "web1")} <= keys
    assert len(admin.get(f"{API}/namespaces/{other}/events").json()) == 1

    selected = admin.get(
        f"{API}/namespaces/{namespace}/events",
        params={"fieldSelector": "event.check.name == cpu"},
    ).json()
    assert sorted(e["entity"]["metadata"]["name"] for e in selected) == ["web1", "web10"]
