"""Keepalive deadlines, failing keepalives, deregistration and the periodic jobs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec

from vigil.pipeline.eventd import EventProcessor
from vigil.pipeline.jobs import KEEPALIVE, SILENCE_EXPIRY, PeriodicJobs, expire_silences
from vigil.pipeline.keepalive import KIND, TTL_KIND, failing_keepalive_event, go_time, wire
from vigil.settings import Settings
from vigil.store.base import Put, Store
from vigil.store.sqlite import SQLiteStore

Doc = dict[str, Any]
Scenario = Callable[[Store, EventProcessor, list[Doc]], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario) -> None:
    async def main() -> None:
        store = await SQLiteStore.open(tmp_path / "vigil.db")
        handed: list[Doc] = []
        settings = Settings(
            state_dir=str(tmp_path), keepalive_check_interval=0.05, silence_expiry_interval=0.05
        )
        try:
            processor = EventProcessor(store, settings, handed.append)
            monitors = wire(store, processor, "etcd")
            processor.watch_with(monitors.keepalives, monitors.check_ttls)
            await scenario(store, processor, handed)
        finally:
            await store.close()

    asyncio.run(main())


def keepalive(name: str = "web1", timeout: int = 1, **entity: Any) -> Doc:
    return {
        "timestamp": int(time.time()),
        "entity": {"metadata": {"name": name}, **entity},
        "check": {"metadata": {"name": "keepalive"}, "interval": 0, "timeout": timeout},
    }


async def stored(store: Store, kind: str, name: str) -> Doc | None:
    record = await store.get(kind, "default", name)
    return None if record is None else msgspec.json.decode(record.value)


async def wait_for(condition: Callable[[], Awaitable[bool]], bound: float = 15.0) -> None:
    """Poll ``condition`` until it holds; fail only after a generous bound."""
    deadline = time.monotonic() + bound
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def test_keepalive_stores_an_ok_event_and_a_deadline(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        body = keepalive(timeout=30, keepalive_handlers=["pager"])
        sent = body["timestamp"]
        before = int(time.time())
        out = await processor.ingest(body, namespace="default")
        check = out["check"]
        assert check["status"] == 0
        assert check["output"] == f"Keepalive last sent from web1 at {go_time(sent)}"
        assert check["handlers"] == ["pager"]
        assert check["executed"] >= before
        entity = await stored(store, "entities", "web1")
        assert entity is not None and entity["last_seen"] == sent
        record = await stored(store, KIND, "web1")
        assert record is not None
        assert before + 30 <= record["deadline"] <= int(time.time()) + 30
        assert handed == [out]

    run(tmp_path, scenario)


def test_missed_deadline_produces_a_failing_keepalive(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        await processor.ingest(keepalive(timeout=1), namespace="default")
        record = await stored(store, KIND, "web1")
        assert record is not None
        assert await processor.keepalives.check_deadlines(record["deadline"] - 1) == 0
        later = record["deadline"] + 4
        assert await processor.keepalives.check_deadlines(later) == 1
        event = await stored(store, "events", "web1/keepalive")
        assert event is not None
        elapsed = later - record["last_seen"]
        assert event["check"]["status"] == 1
        assert (
            event["check"]["output"] == f"No keepalive sent from web1 for {elapsed} seconds (>= 1)"
        )
        assert [h["status"] for h in event["check"]["history"]] == [0, 1]
        assert handed[-1]["check"]["status"] == 1
        again = await stored(store, KIND, "web1")
        assert again is not None and again["deadline"] > record["deadline"]
        # A fresh keepalive resolves it.
        await processor.ingest(keepalive(timeout=1), namespace="default")
        event = await stored(store, "events", "web1/keepalive")
        assert event is not None and event["check"]["status"] == 0

    run(tmp_path, scenario)


def test_critical_after_the_ttl() -> None:
    stored_event = {
        "metadata": {"namespace": "default"},
        "check": {"metadata": {"name": "keepalive"}, "timeout": 10, "ttl": 30},
    }
    entity = {"metadata": {"name": "web1"}}
    warning = failing_keepalive_event(stored_event, entity, "default", 100, 115, "etcd")
    assert (warning["check"]["status"], warning["check"]["output"]) == (
        1,
        "No keepalive sent from web1 for 15 seconds (>= 10)",
    )
    critical = failing_keepalive_event(stored_event, entity, "default", 100, 131, "etcd")
    assert (critical["check"]["status"], critical["check"]["output"]) == (
        2,
        "No keepalive sent from web1 for 31 seconds (>= 30)",
    )


def test_periodic_job_fires_within_a_generous_bound(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        jobs = PeriodicJobs(store, processor.settings, processor)
        await processor.ingest(keepalive(timeout=1), namespace="default")
        await jobs.start()
        try:

            async def failing() -> bool:
                event = await stored(store, "events", "web1/keepalive")
                return event is not None and event["check"]["status"] == 1

            await wait_for(failing)
        finally:
            await jobs.stop()

    run(tmp_path, scenario)


def test_deregistration_on_missed_keepalive(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        body = keepalive(deregister=True, deregistration={"handler": "cleanup"})
        await processor.ingest(body, namespace="default")
        await processor.ingest(
            {
                "entity": {"metadata": {"name": "web1"}},
                "check": {"metadata": {"name": "cpu"}, "status": 2},
            },
            namespace="default",
        )
        handed.clear()
        record = await stored(store, KIND, "web1")
        assert record is not None
        assert await processor.keepalives.check_deadlines(record["deadline"] + 1) == 1
        assert await stored(store, "entities", "web1") is None
        assert await store.count("events") == 0
        assert await stored(store, KIND, "web1") is None
        resolutions = [e for e in handed if e["check"]["metadata"]["name"] != "deregistration"]
        assert {e["check"]["metadata"]["name"] for e in resolutions} == {"cpu", "keepalive"}
        assert all(e["check"]["status"] == 0 and e["check"]["history"] == [] for e in resolutions)
        assert all(
            e["check"]["output"] == "Resolving due to entity deregistering" for e in resolutions
        )
        dereg = handed[-1]
        assert dereg["check"]["metadata"]["name"] == "deregistration"
        assert (dereg["check"]["handlers"], dereg["check"]["status"]) == (["cleanup"], 1)

    run(tmp_path, scenario)


def test_deregistration_drops_the_check_ttl_deadlines_too(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        await processor.ingest(keepalive(deregister=True), namespace="default")
        result = {
            "entity": {"metadata": {"name": "web1"}},
            "check": {"metadata": {"name": "cpu"}, "status": 0, "ttl": 60, "interval": 10},
        }
        await processor.ingest(result, namespace="default")
        assert await stored(store, TTL_KIND, "web1/cpu") is not None
        record = await stored(store, KIND, "web1")
        assert record is not None
        assert await processor.keepalives.check_deadlines(record["deadline"] + 1) == 1
        assert await stored(store, "entities", "web1") is None
        assert await stored(store, TTL_KIND, "web1/cpu") is None

    run(tmp_path, scenario)


def test_deadlines_survive_a_restart(tmp_path: Path) -> None:
    async def first(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        await processor.ingest(keepalive(timeout=1), namespace="default")

    async def second(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        record = await stored(store, KIND, "web1")
        assert record is not None
        assert await processor.keepalives.check_deadlines(record["deadline"] + 1) == 1
        assert handed[-1]["check"]["status"] == 1

    run(tmp_path, first)
    run(tmp_path, second)


def test_entity_gone_stops_monitoring(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        await processor.ingest(keepalive(timeout=1), namespace="default")
        await processor.delete_entity_events("default", "web1")
        assert await stored(store, KIND, "web1") is None
        await processor.ingest(keepalive("web2", timeout=1), namespace="default")
        await processor.delete_event("default", "web2", "keepalive")
        assert await stored(store, KIND, "web2") is None
        assert await processor.keepalives.check_deadlines(int(time.time()) + 100) == 0

    run(tmp_path, scenario)


def test_burial_sentinel_stops_monitoring(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        await processor.ingest(keepalive(timeout=1), namespace="default")
        await processor.ingest(dict(keepalive(timeout=1), timestamp=-1), namespace="default")
        assert await stored(store, KIND, "web1") is None

    run(tmp_path, scenario)


def test_expired_silences_are_deleted(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        now = int(time.time())
        entries = {"a:*": now - 1, "b:*": now + 3600, "c:*": 0}
        await store.apply(
            [
                Put("silenced", "default", name, msgspec.json.encode({"expire_at": at}))
                for name, at in entries.items()
            ]
        )
        assert await expire_silences(store, now) == 1
        assert await stored(store, "silenced", "a:*") is None
        assert await store.count("silenced") == 2
        jobs = PeriodicJobs(store, processor.settings, processor)
        assert await jobs.run_once(SILENCE_EXPIRY) == 0
        assert await jobs.run_once(KEEPALIVE) == 0
        await store.apply(
            [Put("silenced", "default", "d:*", msgspec.json.encode({"expire_at": now}))]
        )
        await jobs.start()
        try:

            async def gone() -> bool:
                return await stored(store, "silenced", "d:*") is None

            await wait_for(gone)
        finally:
            await jobs.stop()

    run(tmp_path, scenario)


def ttl_result(status: int = 0, ttl: int = 5, executed: int = 0) -> Doc:
    return {
        "entity": {"metadata": {"name": "web1"}},
        "check": {"metadata": {"name": "cpu"}, "status": status, "ttl": ttl, "executed": executed},
    }


def test_check_ttl_failure_repeats_until_a_result_arrives(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        executed = int(time.time())
        await processor.ingest(ttl_result(executed=executed), namespace="default")
        record = await stored(store, TTL_KIND, "web1/cpu")
        assert record is not None and record["ttl"] == 5
        ttls = processor.check_ttls
        assert await ttls.check_deadlines(record["deadline"] - 1) == 0
        later = record["deadline"] + 2
        assert await ttls.check_deadlines(later) == 1
        event = await stored(store, "events", "web1/cpu")
        assert event is not None
        check = event["check"]
        expected = f"Last check execution was {later - executed} seconds ago"
        assert (check["status"], check["state"], check["output"]) == (1, "failing", expected)
        assert [h["status"] for h in check["history"]] == [0, 1]
        again = await stored(store, TTL_KIND, "web1/cpu")
        assert again is not None and again["deadline"] > record["deadline"]
        # A result without a ttl stops the switch.
        await processor.ingest(ttl_result(ttl=0), namespace="default")
        assert await stored(store, TTL_KIND, "web1/cpu") is None

    run(tmp_path, scenario)


def test_check_ttl_quiet_while_the_keepalive_fails(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        await processor.ingest(keepalive(timeout=1), namespace="default")
        await processor.ingest(ttl_result(), namespace="default")
        keepalive_record = await stored(store, KIND, "web1")
        assert keepalive_record is not None
        await processor.keepalives.check_deadlines(keepalive_record["deadline"] + 1)
        record = await stored(store, TTL_KIND, "web1/cpu")
        assert record is not None
        assert await processor.check_ttls.check_deadlines(record["deadline"] + 1) == 0
        assert await stored(store, TTL_KIND, "web1/cpu") is None
        event = await stored(store, "events", "web1/cpu")
        assert event is not None and event["check"]["status"] == 0

    run(tmp_path, scenario)
