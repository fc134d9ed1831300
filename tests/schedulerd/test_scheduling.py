"""The scheduler through a real server and stock agents: what arrives, when, and to whom.

Intervals are 1 s; every bound below is a failure guard, not a timing threshold.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.schedulerd.inbox import connected
from tests.support import LiveServer
from vigil.schedulerd.timing import NS, next_interval_fire

pytestmark = pytest.mark.anyio
CHECKS = "/api/core/v2/namespaces/default/checks"


def put_check(admin: httpx.Client, name: str, **fields: Any) -> dict[str, Any]:
    body = {
        "metadata": {"name": name, "namespace": "default"},
        "command": "true",
        "interval": 1,
        "publish": True,
        "subscriptions": [],
        **fields,
    }
    response = admin.put(f"{CHECKS}/{name}", json=body)
    assert response.status_code in (200, 201), response.text
    return body


async def quiet(seconds: float) -> None:
    """Let the schedule run for a while (to show that something does *not* arrive)."""
    await asyncio.sleep(seconds)


async def test_interval_requests_arrive_on_their_ticks(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    sub, check = unique("sub"), unique("cpu")
    async with connected(live.agent_url, unique("agent"), [sub]) as inbox:
        put_check(admin, check, subscriptions=[sub])
        requests = await inbox.wait(check, 3)
        received = [time.time() - (time.monotonic() - t) for t in inbox.times(check)[:3]]
    # Each request belongs to its own tick of Sensu's phase lattice, one after another. A
    # receipt may read a few ms before its tick (wall clock against the loop's monotonic
    # timers), so 100 ms early still counts as that tick.
    first = next_interval_fire(check, 1, int((received[0] - 1) * NS))
    early = NS // 10
    ticks = [int((r * NS - first + early) // NS) for r in received]
    assert ticks == [ticks[0], ticks[0] + 1, ticks[0] + 2]
    request = requests[0]
    assert set(request) == {"config", "assets", "hooks", "issued", "hook_assets"}
    assert (request["assets"], request["hooks"], request["hook_assets"]) == (None, None, {})
    assert request["config"]["subscriptions"] == [sub]
    assert request["config"]["command"] == "true"
    assert request["config"]["scheduler"] == "memory"  # as Sensu's check watcher fills it in
    assert abs(request["issued"] - received[0]) < 5


async def test_results_of_requests_are_stored(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    sub, check, name = unique("sub"), unique("disk"), unique("agent")
    async with connected(live.agent_url, name, [sub]) as inbox:
        put_check(admin, check, subscriptions=[sub])
        request = (await inbox.wait(check, 1))[0]
        await inbox.agent.result(check, 1, "disk 91%", issued=request["issued"], interval=1)
        path = f"/api/core/v2/namespaces/default/events/{name}/{check}"
        for _ in range(200):
            response = admin.get(path)
            if response.status_code == 200:
                break
            await asyncio.sleep(0.05)
    event = response.json()
    assert (event["check"]["status"], event["check"]["output"]) == (1, "disk 91%")
    assert event["check"]["issued"] == request["issued"]


async def test_publish_false_runs_only_ad_hoc(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    sub, check = unique("sub"), unique("backup")
    async with connected(live.agent_url, unique("agent"), [sub]) as inbox:
        put_check(admin, check, subscriptions=[sub], publish=False)
        await quiet(1.5)
        assert inbox.of(check) == []
        response = admin.post(f"{CHECKS}/{check}/execute", json={"check": check})
        assert response.status_code == 202
        assert abs(response.json()["issued"] - time.time()) < 5
        requests = await inbox.wait(check, 1)
        await quiet(1.0)
        assert len(inbox.of(check)) == 1
    assert requests[0]["config"]["publish"] is False


async def test_ad_hoc_subscriptions_replace_the_checks(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    usual, special, check = unique("usual"), unique("special"), unique("adhoc")
    put_check(admin, check, subscriptions=[usual], publish=False)
    async with (
        connected(live.agent_url, unique("a"), [usual]) as regular,
        connected(live.agent_url, unique("b"), [special]) as chosen,
    ):
        body = {"subscriptions": [special], "reason": "testing", "creator": "admin"}
        assert admin.post(f"{CHECKS}/{check}/execute", json=body).status_code == 202
        request = (await chosen.wait(check, 1))[0]
        await quiet(1.0)
        assert regular.of(check) == []
    assert request["config"]["subscriptions"] == [special]


@pytest.mark.parametrize(
    "body",
    [[], {"subscriptions": "linux"}, {"subscriptions": [1]}, {"subscriptions": [""]},
     {"reason": 5}],
)  # fmt: skip
def test_bad_ad_hoc_bodies_are_refused(
    admin: httpx.Client, unique: Callable[[str], str], body: Any
) -> None:
    check = unique("adhoc")
    put_check(admin, check, publish=False)
    response = admin.post(f"{CHECKS}/{check}/execute", json=body)
    assert response.status_code == 400, response.text


def test_ad_hoc_on_a_missing_check_is_404(admin: httpx.Client) -> None:
    assert admin.post(f"{CHECKS}/no-such-check/execute", json={}).status_code == 404


async def test_round_robin_takes_turns(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    sub, check = unique("rr"), unique("ping")
    names = sorted([unique("a"), unique("b")])
    async with (
        connected(live.agent_url, names[0], [sub]) as first,
        connected(live.agent_url, names[1], [sub]) as second,
    ):
        put_check(admin, check, subscriptions=[sub], round_robin=True)
        deadline = time.monotonic() + 20
        while len(first.of(check)) + len(second.of(check)) < 4 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await admin_delete(admin, check)
    runs = sorted(
        [(t, names[0]) for t in first.times(check)] + [(t, names[1]) for t in second.times(check)]
    )
    assert len(runs) >= 4
    # The request names the ring's home, as Sensu's says "etcd".
    assert {r["config"].get("scheduler") for r in first.of(check) + second.of(check)} == {"etcd"}
    # One agent per tick, alternating (alphabetical rotation over two agents).
    who = [name for _, name in runs]
    assert all(a != b for a, b in itertools.pairwise(who)), who
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(runs)]
    assert all(gap > 0.5 for gap in gaps), gaps


async def admin_delete(admin: httpx.Client, check: str) -> None:
    assert admin.delete(f"{CHECKS}/{check}").status_code == 204


async def test_proxy_requests_one_per_matching_entity(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    sub, check, tier = unique("sub"), unique("http"), unique("tier")
    proxies = sorted([unique("router"), unique("router")])
    for i, name in enumerate(proxies):
        entity = {
            "metadata": {"name": name, "namespace": "default",
                         "labels": {"tier": tier, "url": f"http://r{i}"}},
            "entity_class": "proxy",
        }  # fmt: skip
        assert admin.put(f"/api/core/v2/namespaces/default/entities/{name}", json=entity).is_success
    other = {"metadata": {"name": unique("other"), "namespace": "default"},
             "entity_class": "proxy"}  # fmt: skip
    admin.put(f"/api/core/v2/namespaces/default/entities/{other['metadata']['name']}", json=other)
    async with connected(live.agent_url, unique("agent"), [sub]) as inbox:
        put_check(
            admin, check, subscriptions=[sub], command="check-http {{ .labels.url }}",
            proxy_requests={"entity_attributes": ["entity.entity_class == 'proxy'",
                                                  f"entity.labels.tier == '{tier}'"]},
        )  # fmt: skip
        requests = await inbox.wait(check, 2)
    configs = sorted((r["config"] for r in requests), key=lambda c: c["proxy_entity_name"])
    assert [c["proxy_entity_name"] for c in configs] == proxies
    assert [c["command"] for c in configs] == ["check-http http://r0", "check-http http://r1"]


async def test_cron_every_second(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    sub, check = unique("sub"), unique("cron")
    async with connected(live.agent_url, unique("agent"), [sub]) as inbox:
        put_check(admin, check, subscriptions=[sub], interval=0, cron="@every 1s")
        requests = await inbox.wait(check, 2)
        times = inbox.times(check)[:2]
    assert requests[0]["config"]["cron"] == "@every 1s"
    assert times[1] - times[0] > 0.5


async def test_subdued_checks_wait_and_changes_apply_without_restart(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    sub, check = unique("sub"), unique("quiet")
    now = datetime.now(UTC).replace(microsecond=0)
    window = {"begin": (now - timedelta(hours=1)).isoformat(),
              "end": (now + timedelta(hours=1)).isoformat(), "repeat": []}  # fmt: skip
    async with connected(live.agent_url, unique("agent"), [sub]) as inbox:
        put_check(admin, check, subscriptions=[sub], subdues=[window])
        await quiet(1.5)
        assert inbox.of(check) == []
        put_check(admin, check, subscriptions=[sub])  # the window lifted, no restart
        await inbox.wait(check, 1)


async def test_subscription_changes_and_deletes_apply_without_restart(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    before, after, check = unique("before"), unique("after"), unique("moved")
    async with connected(live.agent_url, unique("agent"), [after]) as inbox:
        put_check(admin, check, subscriptions=[before])
        await quiet(1.5)
        assert inbox.of(check) == []
        put_check(admin, check, subscriptions=[after], command="echo moved")
        request = (await inbox.wait(check, 1))[0]
        assert request["config"]["command"] == "echo moved"
        await admin_delete(admin, check)
        await quiet(0.5)
        count = len(inbox.of(check))
        await quiet(1.5)
        assert len(inbox.of(check)) == count


async def test_assets_by_prefix_and_hooks_ride_along(
    live: LiveServer, admin: httpx.Client, unique: Callable[[str], str]
) -> None:
    sub, check, prefix, hook = unique("sub"), unique("ruby"), unique("ruby"), unique("hook")
    for name in (f"{prefix}-2.4", f"{prefix}-3.1", unique("python")):
        asset = {"metadata": {"name": name, "namespace": "default"},
                 "url": "http://assets.example/a.tar.gz", "sha512": "a" * 128}  # fmt: skip
        assert admin.put(f"/api/core/v2/namespaces/default/assets/{name}", json=asset).is_success
    hook_body = {"metadata": {"name": hook, "namespace": "default"}, "command": "ps aux",
                 "timeout": 10, "runtime_assets": [f"{prefix}-3"]}  # fmt: skip
    assert admin.put(f"/api/core/v2/namespaces/default/hooks/{hook}", json=hook_body).is_success
    async with connected(live.agent_url, unique("agent"), [sub]) as inbox:
        put_check(admin, check, subscriptions=[sub], runtime_assets=[prefix],
                  check_hooks=[{"non-zero": [hook]}])  # fmt: skip
        request = (await inbox.wait(check, 1))[0]
    assert sorted(a["metadata"]["name"] for a in request["assets"]) == [
        f"{prefix}-2.4",
        f"{prefix}-3.1",
    ]
    assert [h["metadata"]["name"] for h in request["hooks"]] == [hook]
    hook_assets = request["hook_assets"][hook]["assets"]
    assert [a["metadata"]["name"] for a in hook_assets] == [f"{prefix}-3.1"]
