"""A real `vigil start` for the end-to-end tests, and a vigilctl runner bound to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from tests.support import ADMIN, PASSWORD, ServerProcess, init_state
from vigil.ctl.context import CtlContext
from vigil.ctl.main import cli

Run = Callable[..., Result]
Exchange = tuple[str, str, str, int]  # method, path, query, status
KEY_ENVS = ("VIGIL_API_KEY", "SENSU_API_KEY", "SENSU_NAMESPACE", "VIGIL_URL")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`vigil init` then `vigil start` on a free port, once for the whole session."""
    state = tmp_path_factory.mktemp("ctl-state")
    init_state(state)
    process = ServerProcess(state).start()
    yield process
    process.stop()


def make_runner(config_dir: Path, env: dict[str, str] | None = None) -> Run:
    def run(*args: str, input: str | None = None) -> Result:
        ctl = CtlContext(config_dir_override=str(config_dir))
        blank: dict[str, str | None] = dict.fromkeys(KEY_ENVS)
        return CliRunner(env={**blank, **(env or {})}).invoke(cli, list(args), obj=ctl, input=input)

    return run


@pytest.fixture
def vigilctl(server: ServerProcess, tmp_path: Path) -> Run:
    """vigilctl with its own config dir, already configured as the cluster admin."""
    run = make_runner(tmp_path / "config")
    result = run(
        "configure",
        "--non-interactive",
        "--url",
        server.url,
        "--username",
        ADMIN,
        "--password",
        PASSWORD,
        "--format",
        "tabular",
    )
    assert result.exit_code == 0, result.output
    return run


class Recorder(httpx.BaseTransport):
    """The real HTTP transport, noting each exchange (method, path, query, status) so tests
    can count what vigilctl sent to the real server; nothing is answered in its place."""

    def __init__(self, seen: list[Exchange] | None = None) -> None:
        self.real = httpx.HTTPTransport()
        self.seen: list[Exchange] = [] if seen is None else seen

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.real.handle_request(request)
        query = request.url.query.decode()
        self.seen.append((request.method, request.url.path, query, response.status_code))
        return response

    def close(self) -> None:
        self.real.close()

    def calls(self, path: str) -> list[Exchange]:
        return [call for call in self.seen if call[1] == path]
