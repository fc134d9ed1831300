"""Pipe handlers cannot climb to the server's secrets: a real ``vigil start`` (as root when
the suite runs as root) runs a real handler that tries the whole chain."""

from __future__ import annotations

import os
import pwd
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import ServerProcess, client_for, init_state, token_for, wait_for

API = "/api/core/v2/namespaces/default"
MARKER = "server-secret-marker"


@pytest.fixture(scope="module")
def drop() -> Iterator[Path]:
    """A directory any user may write to, where the handler reports what it saw."""
    path = Path(tempfile.mkdtemp(prefix="vigil-drop-"))
    path.chmod(0o1777)
    yield path
    for child in path.iterdir():
        child.unlink()
    path.rmdir()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, drop: Path) -> Iterator[ServerProcess]:
    state = tmp_path_factory.mktemp("state") / "data"
    init_state(state)
    probe = drop / "probe.sh"
    probe.write_text(
        f'id -u > {drop}/uid; env > {drop}/env; cat "$STATE"/vigil.db > {drop}/db 2>&1;'
        f" ls {state} > {drop}/ls 2>&1; echo done > {drop}/done\n"
    )
    probe.chmod(0o644)
    allow = drop / "allow.yml"
    allow.write_text(f"- exec: /bin/sh\n  args: ['{probe}']\n  enable_env: true\n")
    server = ServerProcess(
        state, "--handler-allow-list", str(allow), env={"VIGIL_SECRET_MARKER": MARKER}
    ).start()
    server.state = state  # type: ignore[attr-defined]
    yield server
    server.stop()


def _run_handlers(server: ServerProcess, drop: Path) -> None:
    with client_for(server.url, token_for(server.url)) as client:
        _post(client, server, drop)
    wait_for(lambda: (drop / "done").exists())


def _post(client: httpx.Client, server: ServerProcess, drop: Path) -> None:
    state = server.state  # type: ignore[attr-defined]
    for name, command in [
        ("a-probe", f"/bin/sh {drop}/probe.sh"),
        ("z-denied", f"touch {drop}/denied"),
    ]:
        body = {
            "metadata": {"name": name},
            "type": "pipe",
            "command": command,
            "env_vars": [f"STATE={state}"],
        }
        assert client.post(f"{API}/handlers", json=body).status_code == 201
    event = {
        "entity": {"metadata": {"name": "web1"}},
        "check": {"metadata": {"name": "c"}, "status": 2, "handlers": ["a-probe", "z-denied"]},
    }
    assert client.post(f"{API}/events", json=event).status_code == 201


def test_handler_gets_a_clean_environment_and_no_privileges(
    server: ServerProcess, drop: Path
) -> None:
    _run_handlers(server, drop)
    env = dict(
        line.split("=", 1) for line in (drop / "env").read_text().splitlines() if "=" in line
    )
    assert MARKER not in (drop / "env").read_text()
    assert not any(key.startswith("VIGIL_") for key in env)
    assert set(env) <= {"PATH", "PWD", "SHLVL", "_", "STATE", "OLDPWD"}
    assert env["STATE"] == str(server.state)  # type: ignore[attr-defined]
    if os.geteuid() == 0:  # the server is root: the handler is not
        assert int((drop / "uid").read_text()) == pwd.getpwnam("nobody").pw_uid
        assert "Permission denied" in (drop / "db").read_text()
        assert "Permission denied" in (drop / "ls").read_text()


def test_allow_list_refuses_unlisted_commands(server: ServerProcess, drop: Path) -> None:
    if not (drop / "done").exists():
        _run_handlers(server, drop)
    wait_for(lambda: "denied by the handler allow list" in server.logs())
    assert not (drop / "denied").exists()


def test_state_dir_and_files_are_private(server: ServerProcess) -> None:
    state: Path = server.state  # type: ignore[attr-defined]
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    files = [path for path in state.iterdir() if path.is_file()]
    assert any(path.name == "vigil.db-wal" for path in files)
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_start_warns_while_the_agent_password_is_the_default(server: ServerProcess) -> None:
    assert "the agent user still has the default password" in server.logs()
