"""The agent user's well-known default password: settable at init, warned about at start."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx

from tests.support import ADMIN, PASSWORD, ServerProcess, vigil_cmd

# The warning while the password is the default: tests/hardening/test_handler_isolation.py.
WARNING = "the agent user still has the default password"


def test_agent_password_from_the_environment_replaces_the_default(tmp_path: Path) -> None:
    state = tmp_path / "data"
    subprocess.run(
        vigil_cmd("init", "--state-dir", str(state)),
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "VIGIL_CLUSTER_ADMIN_USERNAME": ADMIN,
            "VIGIL_CLUSTER_ADMIN_PASSWORD": PASSWORD,
            "VIGIL_AGENT_PASSWORD": "agent-s3cret-pw",
        },
    )
    server = ServerProcess(state).start()
    try:
        assert httpx.get(f"{server.url}/auth", auth=("agent", "agent-s3cret-pw")).is_success
        assert httpx.get(f"{server.url}/auth", auth=("agent", "P@ssw0rd!")).status_code == 401
        assert WARNING not in server.logs()
    finally:
        server.stop()
