"""The check runner on its own, with real commands: request order rules, failures as events."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from vigil.agent.execution import CheckRequestRefused, CheckRunner, Sequences

pytestmark = pytest.mark.anyio

ENTITY = {"metadata": {"name": "box", "namespace": "default", "labels": {"a": "b"}}}


def runner(sent: list[dict[str, Any]], **extra: Any) -> CheckRunner:
    return CheckRunner(
        agent_name="box",
        namespace="default",
        entity=lambda: dict(ENTITY),
        send=lambda _type, event: sent.append(event),
        sequences=Sequences(),
        assets=None,
        **extra,
    )


def request(name: str, command: str, issued: int, **config: Any) -> dict[str, Any]:
    base = {"metadata": {"name": name, "namespace": "default"}, "command": command, "interval": 10}
    return {"config": {**base, **config}, "issued": issued}


async def test_order_rules_and_sequences() -> None:
    sent: list[dict[str, Any]] = []
    checks = runner(sent)
    checks.handle(request("c", "sleep 0.3; echo one", 100))
    with pytest.raises(CheckRequestRefused, match="already been received") as dup:
        checks.handle(request("c", "echo dup", 100))
    assert dup.value.duplicate
    with pytest.raises(CheckRequestRefused, match="older than a previously received"):
        checks.handle(request("c", "echo old", 99))
    with pytest.raises(CheckRequestRefused, match="check execution still in progress: c"):
        checks.handle(request("c", "echo busy", 101))
    checks.handle(request("c", "echo other proxy", 101, proxy_entity_name="p1"))  # its own key
    await checks.drain()
    checks.handle(request("c", "echo two", 102))
    await checks.drain()
    assert sorted(e["check"]["output"] for e in sent) == ["one\n", "other proxy\n", "two\n"]
    assert sorted(e["sequence"] for e in sent) == [1, 2, 3]  # one counter per check name
    assert all(e["check"]["issued"] in (100, 101, 102) for e in sent)


async def test_invalid_check_and_disabled_assets_are_failure_events() -> None:
    sent: list[dict[str, Any]] = []
    checks = runner(sent)
    checks.handle(request("bad", "true", 1, interval=0))
    checks.handle({**request("needs", "true", 1), "assets": [{"metadata": {"name": "x"}}]})
    await checks.drain()
    by_name = {e["check"]["metadata"]["name"]: e["check"] for e in sent}
    assert by_name["bad"]["status"] == 3
    assert by_name["bad"]["output"].startswith("given check is invalid: ")
    assert by_name["needs"]["output"] == (
        "check requested assets, but they are disabled on this agent"
    )


async def test_allow_list_denial_status_from_annotation() -> None:
    from vigil.agent.execution import AllowEntry

    sent: list[dict[str, Any]] = []
    checks = runner(sent, allow_list=[AllowEntry("/bin/echo", ("ok",))])
    annotated = {
        "name": "d",
        "namespace": "default",
        "annotations": {"allow_list_on_deny_status": "1"},
    }
    checks.handle(request("d", "rm -rf /tmp/nothing", 1, metadata=annotated))
    checks.handle(request("e", "/bin/echo ok", 1))
    await checks.drain()
    by_name = {e["check"]["metadata"]["name"]: e["check"] for e in sent}
    assert by_name["d"]["output"] == "check command denied by the agent allow list"
    assert by_name["d"]["status"] == 1
    assert by_name["e"]["output"] == "ok\n" and by_name["e"]["status"] == 0


async def test_discard_output_keeps_metrics_and_missing_hook_exits_2() -> None:
    sent: list[dict[str, Any]] = []
    checks = runner(sent)
    checks.handle(
        request(
            "m",
            "echo 'ok | t=5s;;;'; exit 1",
            1,
            discard_output=True,
            output_metric_format="nagios_perfdata",
            check_hooks=[{"1": ["nowhere"]}],
        )
    )
    await checks.drain()
    [event] = sent
    assert event["check"]["output"] == "" and event["check"]["status"] == 1
    assert event["metrics"]["points"][0]["name"] == "t"
    [hook] = event["check"]["hooks"]
    assert hook["status"] == 2 and hook["output"] == "hook nowhere: missing hook config\n"


async def test_stop_kills_what_outlives_the_grace() -> None:
    sent: list[dict[str, Any]] = []
    checks = runner(sent)
    checks.handle(request("long", "sleep 30", 1))
    await asyncio.sleep(0.2)
    await checks.drain(grace=0.2)
    assert not checks.tasks and not checks.in_progress and sent == []
