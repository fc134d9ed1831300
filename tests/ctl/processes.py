"""vigilctl as an operator runs it: its own process, with only the environment it is given,
against a live in-process server (one per test module)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import LiveServer
from vigil.settings import Settings


@pytest.fixture(scope="module", name="server")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(Settings(state_dir=str(tmp_path_factory.mktemp("state")))).start()
    yield live
    live.stop()


def vigilctl(
    config_dir: Path, *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """No SENSU_*/VIGIL* variable of the test run leaks in; ``env`` adds the test's own."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SENSU_", "VIGIL"))}
    clean.update(VIGILCTL_CONFIG_DIR=str(config_dir), **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "vigil.ctl", *args],
        capture_output=True,
        text=True,
        env=clean,
        input=stdin,
        timeout=60,
        check=False,
    )
