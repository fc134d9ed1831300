"""The real `vigil` commands: init once, start, restart with data intact, stop cleanly."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx

from tests.api.samples import body
from tests.support import ServerProcess, client_for, init_state, token_for, vigil_cmd

API = "/api/core/v2"


def test_init_twice_is_a_clear_error(tmp_path: Path) -> None:
    init_state(tmp_path)
    second = subprocess.run(
        vigil_cmd(
            "init",
            "--state-dir",
            str(tmp_path),
            "--cluster-admin-username",
            "other",
            "--cluster-admin-password",
            "P@ssw0rd!",
        ),
        capture_output=True,
        text=True,
    )
    assert second.returncode != 0
    assert "already initialized" in second.stderr


def test_start_requires_init(tmp_path: Path) -> None:
    result = subprocess.run(
        vigil_cmd(
            "start", "--state-dir", str(tmp_path / "empty"), "--api-listen-address", "127.0.0.1:1"
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "vigil init" in result.stderr


def test_data_survives_restart_and_sigterm(tmp_path: Path) -> None:
    init_state(tmp_path)
    server = ServerProcess(tmp_path).start()
    try:
        with client_for(server.url, token_for(server.url)) as admin:
            for i in range(50):
                doc = body("checks", f"c{i}", "default")
                assert admin.post(f"{API}/namespaces/default/checks", json=doc).status_code == 201
    finally:
        assert server.stop(signal.SIGTERM) == 0
    server = ServerProcess(tmp_path).start()
    try:
        with client_for(server.url, token_for(server.url)) as admin:
            names = {c["metadata"]["name"] for c in admin.get(f"{API}/checks").json()}
            assert {f"c{i}" for i in range(50)} <= names
            assert httpx.get(f"{server.url}/health").json()["Store"]["healthy"]
    finally:
        server.stop(signal.SIGINT)


def test_init_with_api_key_and_env(tmp_path: Path) -> None:
    key = "7f63b5bc-41f4-4b3e-b59b-5431afd7e6a2"
    init_state(tmp_path, "--cluster-admin-api-key", key)
    server = ServerProcess(tmp_path).start()
    try:
        response = httpx.get(
            f"{server.url}{API}/namespaces/default/checks", headers={"Authorization": f"Key {key}"}
        )
        assert response.status_code == 200
    finally:
        server.stop()
