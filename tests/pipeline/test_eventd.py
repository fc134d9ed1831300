"""Event ingestion against a real SQLite store: entities, state, silencing, hand-off."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from vigil.errors import InvalidArgument
from vigil.pipeline.eventd import EventProcessor
from vigil.pipeline.keepalive import wire
from vigil.pipeline.silencing import prepare_silence
from vigil.settings import Settings
from vigil.store.base import ListQuery, Put, Store
from vigil.store.sqlite import SQLiteStore

Doc = dict[str, Any]
Scenario = Callable[[Store, EventProcessor, list[Doc]], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario) -> None:
    """Run ``scenario`` with a fresh store and a processor whose hand-offs land in a list."""

    async def main() -> None:
        store = await SQLiteStore.open(tmp_path / "vigil.db")
        handed: list[Doc] = []
        processor = EventProcessor(store, Settings(state_dir=str(tmp_path)), handed.append)
        monitors = wire(store, processor, "etcd")
        processor.watch_with(monitors.keepalives, monitors.check_ttls)
        try:
            await scenario(store, processor, handed)
        finally:
            await store.close()

    asyncio.run(main())


def event(
    name: str = "web1",
    check_name: str = "cpu",
    status: int = 0,
    *,
    entity: Doc | None = None,
    check: Doc | None = None,
) -> Doc:
    entity = dict(entity or {})
    check = dict(check or {})
    entity["metadata"] = {"name": name, **entity.get("metadata", {})}
    check["metadata"] = {"name": check_name, **check.get("metadata", {})}
    return {"entity": entity, "check": {"status": status, **check}}


async def stored(store: Store, kind: str, name: str, namespace: str = "default") -> Doc | None:
    record = await store.get(kind, namespace, name)
    return None if record is None else msgspec.json.decode(record.value)


async def put_silence(store: Store, entry: Doc) -> str:
    prepared = prepare_silence(dict(entry, metadata={"namespace": "default"}), int(time.time()))
    name = prepared["metadata"]["name"]
    await store.apply([Put("silenced", "default", name, msgspec.json.encode(prepared))])
    return str(name)


def test_unknown_entity_becomes_a_proxy_entity(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        body = event(entity={"subscriptions": ["linux"], "metadata": {"labels": {"a": "b"}}})
        out = await processor.ingest(body, namespace="default", created_by="alice")
        entity = await stored(store, "entities", "web1")
        assert entity is not None
        assert entity["entity_class"] == "proxy"
        assert entity["subscriptions"] == ["linux", "entity:web1"]
        assert entity["metadata"]["created_by"] == "alice"
        assert entity["metadata"]["labels"] == {"a": "b"}
        assert out["entity"]["subscriptions"] == ["linux", "entity:web1"]
        assert handed == [out]
        saved = await stored(store, "events", "web1/cpu")
        assert saved is not None
        assert saved["check"]["state"] == "passing"
        assert saved["metadata"]["created_by"] == "alice"

    run(tmp_path, scenario)


def test_existing_entity_replaces_the_event_entity(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        await processor.ingest(event(entity={"subscriptions": ["a"]}), namespace="default")
        out = await processor.ingest(
            event(check_name="disk", entity={"subscriptions": ["b"]}), namespace="default"
        )
        assert out["entity"]["subscriptions"] == ["a", "entity:web1"]
        entity = await stored(store, "entities", "web1")
        assert entity is not None and entity["subscriptions"] == ["a", "entity:web1"]

    run(tmp_path, scenario)


def test_proxy_entity_name_creates_a_bare_proxy(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        body = event(
            entity={"entity_class": "agent", "subscriptions": ["linux"]},
            check={"proxy_entity_name": "switch1"},
        )
        out = await processor.ingest(body, namespace="default")
        entity = await stored(store, "entities", "switch1")
        assert entity is not None
        assert (entity["entity_class"], entity["subscriptions"]) == ("proxy", ["entity:switch1"])
        assert out["entity"]["metadata"]["name"] == "switch1"
        assert await stored(store, "events", "switch1/cpu") is not None
        assert await stored(store, "entities", "web1") is None

    run(tmp_path, scenario)


def test_agent_entities_are_not_created(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        out = await processor.ingest(event(entity={"entity_class": "agent"}), namespace="default")
        assert await stored(store, "entities", "web1") is None
        assert out["entity"]["entity_class"] == "agent"
        assert await stored(store, "events", "web1/cpu") is not None

    run(tmp_path, scenario)


def test_results_accumulate_history_and_counters(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        for i, status in enumerate([0, 2, 2, 0], start=1):
            await processor.ingest(event(status=status, check={"executed": i}), namespace="default")
        saved = await stored(store, "events", "web1/cpu")
        assert saved is not None
        check = saved["check"]
        assert [h["status"] for h in check["history"]] == [0, 2, 2, 0]
        # 0 -> 1/1; 2 -> 1/1 (OK -> non-OK); 2 -> 2/2; 0 -> 1/2.
        assert (check["occurrences"], check["occurrences_watermark"]) == (1, 2)
        assert (check["state"], check["last_ok"]) == ("passing", 4)
        assert [e["check"]["status"] for e in handed] == [0, 2, 2, 0]

    run(tmp_path, scenario)


def test_metrics_only_events_are_handed_on_not_stored(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        body = {
            "entity": {"metadata": {"name": "web1"}},
            "metrics": {"points": [{"name": "load", "value": 1.5, "timestamp": 1, "tags": []}]},
        }
        out = await processor.ingest(body, namespace="default")
        assert handed == [out]
        assert out["metrics"]["points"][0]["value"] == 1.5
        assert out["id"]
        assert await store.count("events") == 0
        assert await store.count("entities") == 0

    run(tmp_path, scenario)


def test_metrics_are_not_stored_and_output_is_truncated_for_storage(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        body = event(status=1, check={"output": "0123456789", "max_output_size": 4})
        body["metrics"] = {"points": []}
        out = await processor.ingest(body, namespace="default")
        assert out["check"]["output"] == "0123456789"
        assert "metrics" in out
        saved = await stored(store, "events", "web1/cpu")
        assert saved is not None
        assert saved["check"]["output"] == "0123"
        assert saved["metadata"]["labels"] == {"sensu.io/output_truncated_bytes": "6"}
        assert "metrics" not in saved

    run(tmp_path, scenario)


def test_invalid_events_are_refused(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        with pytest.raises(InvalidArgument, match="event must contain an entity"):
            await processor.ingest({"check": {"metadata": {"name": "x"}}}, namespace="default")
        with pytest.raises(InvalidArgument, match="check or metrics"):
            await processor.ingest({"entity": {"metadata": {"name": "x"}}}, namespace="default")
        assert handed == []

    run(tmp_path, scenario)


def test_silences_mark_the_event_and_new_silences_apply_at_once(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        body = event(
            status=2, entity={"subscriptions": ["linux"]}, check={"subscriptions": ["linux"]}
        )
        out = await processor.ingest(body, namespace="default")
        assert (out["check"]["silenced"], out["check"]["is_silenced"]) == ([], False)
        await put_silence(store, {"subscription": "linux"})
        await put_silence(store, {"subscription": "entity:web1", "check": "cpu"})
        await processor.silences_changed()  # what every writer of silences announces
        out = await processor.ingest(body, namespace="default")
        assert out["check"]["silenced"] == ["entity:web1:cpu", "linux:*"]
        assert out["check"]["is_silenced"] is True
        saved = await stored(store, "events", "web1/cpu")
        assert saved is not None and saved["check"]["is_silenced"] is True

    run(tmp_path, scenario)


def test_expire_on_resolve_silences_are_deleted_on_resolution(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        await put_silence(store, {"check": "cpu", "expire_on_resolve": True})
        await put_silence(store, {"subscription": "entity:web1"})
        await processor.ingest(event(status=2), namespace="default")
        still = await processor.ingest(event(status=2), namespace="default")
        assert still["check"]["silenced"] == ["*:cpu", "entity:web1:*"]
        resolved = await processor.ingest(event(status=0), namespace="default")
        assert resolved["check"]["silenced"] == ["entity:web1:*"]
        assert resolved["check"]["is_silenced"] is True
        assert await stored(store, "silenced", "*:cpu") is None
        assert await stored(store, "silenced", "entity:web1:*") is not None

    run(tmp_path, scenario)


def test_concurrent_results_for_one_check_all_land_in_history(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        same = [event(status=1) for _ in range(15)]
        others = [event(f"host{i}") for i in range(30)]
        await asyncio.gather(*(processor.ingest(e, namespace="default") for e in same + others))
        saved = await stored(store, "events", "web1/cpu")
        assert saved is not None
        assert len(saved["check"]["history"]) == 15
        assert saved["check"]["occurrences"] == 15
        assert await store.count("events") == 31
        assert await store.count("entities") == 31
        assert len(handed) == 45

    run(tmp_path, scenario)


def test_concurrent_first_events_of_one_entity_share_its_creation(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        bodies = [event(check_name=f"check{i}") for i in range(10)]
        await asyncio.gather(*(processor.ingest(b, namespace="default") for b in bodies))
        assert await store.count("events") == 10
        assert await store.count("entities") == 1

    run(tmp_path, scenario)


def test_hand_off_happens_after_the_commit(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        reads: list[asyncio.Task[Any]] = []

        def on_stored(doc: Doc) -> None:
            name = f"{doc['entity']['metadata']['name']}/{doc['check']['metadata']['name']}"
            reads.append(
                asyncio.get_running_loop().create_task(store.get("events", "default", name))
            )

        processor.on_stored = on_stored
        await asyncio.gather(
            *(processor.ingest(event(f"h{i}"), namespace="default") for i in range(5))
        )
        assert all(record is not None for record in await asyncio.gather(*reads))

    run(tmp_path, scenario)


def test_delete_entity_events(tmp_path: Path) -> None:
    async def scenario(store: Store, processor: EventProcessor, handed: list[Doc]) -> None:
        for check in ("a", "b"):
            await processor.ingest(event(check_name=check), namespace="default")
        await processor.ingest(event("web10"), namespace="default")
        assert await processor.delete_entity_events("default", "web1") == 2
        left = await store.list(ListQuery("events"))
        assert [r.name for r in left] == ["web10/cpu"]

    run(tmp_path, scenario)
