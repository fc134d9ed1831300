"""Real servers for tests: uvicorn in a thread (fast) or ``vigil start`` in a subprocess."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvloop

from vigil.app import create_app
from vigil.bootstrap import initialize_store
from vigil.server import Listeners
from vigil.settings import Settings
from vigil.store import open_store

ADMIN = "admin"
PASSWORD = "P@ssw0rd!"
PG_URL = os.environ.get("VIGIL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, empty database for one test session; dropped afterwards. Fails if PG is down."""
    name = f"vigil_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class LiveServer:
    """The real app under uvicorn, on its own event loop in a thread, on a free port."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings.replace(
            api_listen_address=f"127.0.0.1:{free_port()}", agent_port=free_port()
        )
        self.url = f"http://{self.settings.api_listen_address}"
        self.agent_url = f"ws://127.0.0.1:{self.settings.agent_port}"
        self._server: Listeners | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.app: Any = None
        self.loop: asyncio.AbstractEventLoop | None = None  # the server's, once started

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._error is not None:
                raise RuntimeError("server failed to start") from self._error
            if self._server is not None and self._server.started:
                return self
            time.sleep(0.02)
        raise RuntimeError("server did not start in time")

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        try:  # on uvloop, as `vigil start` runs: subprocesses and sockets behave differently
            uvloop.run(self._main())
        except BaseException as exc:
            self._error = exc

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        store = await open_store(self.settings)
        try:
            await initialize_store(store, ADMIN, PASSWORD, exist_ok=True)
            self.app = create_app(self.settings, store)
            self._server = Listeners(self.settings, self.app)  # the API and the agent port
            await self._server.serve()
        finally:
            await store.close()


def token_for(url: str, username: str = ADMIN, password: str = PASSWORD) -> str:
    response = httpx.get(f"{url}/auth", auth=(username, password))
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def client_for(url: str, token: str | None = None, **headers: str) -> httpx.Client:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=url, headers=headers, timeout=30)


def vigil_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "vigil", *args]


class ServerProcess:
    """``vigil start`` as a real subprocess (durability, signals, several backends)."""

    def __init__(
        self,
        state_dir: Path,
        *extra: str,
        env: dict[str, str] | None = None,
        port: int = 0,
        agent_port: int = 0,
    ) -> None:
        # Free ports unless given (a restarted backend is found where its clients left it),
        # so that several backends can run on one host.
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dashboard_port = free_port()
        self.dashboard_url = f"http://127.0.0.1:{self.dashboard_port}"
        self.agent_port = agent_port or free_port()
        self.agent_url = f"ws://127.0.0.1:{self.agent_port}"
        self.args = vigil_cmd(
            "start",
            "--state-dir",
            str(state_dir),
            "--api-listen-address",
            f"127.0.0.1:{self.port}",
            "--dashboard-port",
            str(self.dashboard_port),
            "--agent-port",
            str(self.agent_port),
            *extra,
        )
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        # Logs go to a file: a pipe nobody reads would block the server once it fills.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.args, env=self.env, stdout=subprocess.DEVNULL, stderr=self.log
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vigil start exited {self.proc.returncode}: {self.logs()}")
            # The agent port opens just after the API: ready when both answer.
            agent_health = self.agent_url.replace("ws://", "http://") + "/health"
            try:
                if all(
                    httpx.get(url, timeout=1).status_code in (200, 503)
                    for url in (f"{self.url}/health", agent_health)
                ):
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("vigil start did not answer in time")

    def stop(self, sig: int = 15, timeout: float = 30) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        self.log.close()
        return code

    def logs(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


def init_state(state_dir: Path, *extra: str) -> None:
    subprocess.run(
        vigil_cmd(
            "init",
            "--state-dir",
            str(state_dir),
            "--cluster-admin-username",
            ADMIN,
            "--cluster-admin-password",
            PASSWORD,
            *extra,
        ),
        check=True,
        capture_output=True,
    )


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll until ``predicate()`` is truthy and return it; the bound is generous, so it is
    reached only when something is broken (no timing is asserted)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")
