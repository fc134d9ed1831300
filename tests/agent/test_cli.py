"""``vigil-agent`` as a command: sensu-agent's flags, agent.yml and SENSU_* reach the checks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.agent.support import AGENT_BIN


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SENSU_")}
    return subprocess.run(
        [AGENT_BIN, *args], env={**clean, **(env or {})}, capture_output=True, text=True, timeout=60
    )


def test_start_up_checks_from_flags_env_and_file(tmp_path: Path) -> None:
    flag = run("start", "--keepalive-warning-timeout", "3")
    assert flag.returncode == 2 and "minimum value is 5 seconds" in flag.stderr
    env = run("start", env={"SENSU_BACKEND_URL": "http://nope"})
    assert env.returncode == 2 and "must have ws:// or wss:// scheme" in env.stderr
    config = tmp_path / "agent.yml"
    config.write_text("keepalive-critical-timeout: 10\nkeepalive-warning-timeout: 20\n")
    from_file = run("start", "-c", str(config))
    assert from_file.returncode == 2 and "must be greater than" in from_file.stderr
    via_env = run("start", env={"SENSU_CONFIG_FILE": str(tmp_path / "missing.yml")})
    assert via_env.returncode == 2 and "cannot read config file" in via_env.stderr


def test_version_and_help() -> None:
    assert run("version").stdout.startswith("vigil-agent version ")
    help_text = run("start", "--help").stdout
    for flag in ("--backend-url", "--subscriptions", "--cache-dir", "--allow-list", "-c,"):
        assert flag in help_text
