from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from vigil.store.sqlite import SQLiteStore


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = await SQLiteStore.open(tmp_path / "vigil.db")
    yield opened
    await opened.close()
