"""Real processes for the agent's end-to-end tests: ``vigil start`` and ``vigil-agent start``."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.support import ServerProcess, free_port, wait_for

AGENT_BIN = str(Path(sys.executable).parent / "vigil-agent")
# Handlers in these tests write into the suite's (root-only) temporary directories.
BACKEND_FLAGS = (
    "--keepalive-check-interval", "0.5", "--log-level", "warn", "--handler-user", "",
)  # fmt: skip


class Backend(ServerProcess):
    """``vigil start`` with the agent tests' flags; both ports can be given, so a restarted
    backend is found where its agents left it."""

    def __init__(self, state_dir: Path, *extra: str, port: int = 0, agent_port: int = 0) -> None:
        super().__init__(state_dir, *BACKEND_FLAGS, *extra, port=port, agent_port=agent_port)


class AgentProcess:
    """``vigil-agent start`` with every listener on a free port and short intervals."""

    def __init__(self, name: str, backend_urls: list[str], cache_dir: Path, *extra: str) -> None:
        self.name = name
        self.api_port, self.socket_port, self.statsd_port = free_port(), free_port(), free_port()
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.args = [
            AGENT_BIN,
            "start",
            "--name",
            name,
            *[arg for url in backend_urls for arg in ("--backend-url", url)],
            "--cache-dir",
            str(cache_dir),
            "--api-port",
            str(self.api_port),
            "--socket-port",
            str(self.socket_port),
            "--statsd-metrics-port",
            str(self.statsd_port),
            "--keepalive-interval",
            "1",
            "--retry-min",
            "100ms",
            "--retry-max",
            "500ms",
            "--log-level",
            "warn",
            *extra,
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, wait_connected: bool = True) -> AgentProcess:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SENSU_")}
        self.proc = subprocess.Popen(self.args, env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        if wait_connected:
            wait_for(lambda: self.health() == 200, timeout=30)
        return self

    def health(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"vigil-agent exited {self.proc.returncode}: {self.logs()}")
        try:
            return httpx.get(f"{self.api}/healthz", timeout=1).status_code
        except httpx.TransportError:
            return 0

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; a second call is a no-op."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.terminate()
        code = self.proc.wait(timeout=30)
        if not self.log.closed:
            self.log.close()
        return code

    def logs(self) -> str:
        if self.log.closed:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


def poll(get: Callable[[], Any], timeout: float = 30.0) -> Any:
    """``wait_for`` with room for a scheduling round on a busy machine."""
    deadline = time.monotonic() + timeout
    while True:
        value = get()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)
