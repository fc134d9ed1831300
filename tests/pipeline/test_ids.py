"""Event ids are RFC 4122 version-4 UUIDs, unique across buffer refills and threads."""

from __future__ import annotations

import threading
import uuid

import pytest

from vigil.pipeline import ids
from vigil.pipeline.ids import new_event_id


def test_ids_are_version_4_uuids() -> None:
    for _ in range(600):  # more than two buffer refills
        parsed = uuid.UUID(new_event_id())
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_ids_read_as_uuid_formats_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw in (bytes(16), b"\xff" * 16, bytes(range(16)), bytes(range(240, 256))):
        monkeypatch.setattr(ids, "_buffer", raw)
        monkeypatch.setattr(ids, "_offset", 0)
        assert new_event_id() == str(uuid.UUID(bytes=raw, version=4))


def test_ids_are_unique_across_threads() -> None:
    seen: list[str] = []

    def draw() -> None:
        seen.extend(new_event_id() for _ in range(2000))

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == len(seen) == 8000
