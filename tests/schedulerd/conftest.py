"""One SQLite server for the single-backend scheduler tests; PostgreSQL is covered by the
two-backend tests (``test_cluster.py``), so the suite does not pay for both here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import LiveServer
from vigil.settings import Settings


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(Settings(state_dir=str(tmp_path_factory.mktemp("state")))).start()
    yield server
    server.stop()
