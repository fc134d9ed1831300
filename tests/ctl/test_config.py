"""The per-user config file: location, mode 0600, round trip, env output."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from vigil.ctl.commands.configure import env_lines
from vigil.ctl.config import CtlConfig, config_dir, load_config, save_config


def test_saved_file_is_private(tmp_path: Path) -> None:
    directory = tmp_path / "cfg"
    path = save_config(directory, CtlConfig(access_token="a", refresh_token="r"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_mode_stays_private_on_overwrite(tmp_path: Path) -> None:
    path = save_config(tmp_path, CtlConfig())
    path.chmod(0o644)
    save_config(tmp_path, CtlConfig(url="http://x"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]


def test_round_trip_and_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == CtlConfig()
    config = CtlConfig(url="http://h:1", username="u", namespace="dev", format="yaml", expires_at=5)
    save_config(tmp_path, config)
    assert load_config(tmp_path) == config


def test_directory_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGILCTL_CONFIG_DIR", str(tmp_path / "env"))
    assert config_dir() == tmp_path / "env"
    assert config_dir(str(tmp_path / "flag")) == tmp_path / "flag"
    monkeypatch.delenv("VIGILCTL_CONFIG_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_dir() == tmp_path / "xdg" / "vigilctl"


def test_token_expiry() -> None:
    config = CtlConfig(expires_at=1000)
    assert config.token_expired(now=995)
    assert not config.token_expired(now=900)


def test_env_lines_per_shell() -> None:
    config = CtlConfig(url="http://h:8080", access_token="tok", refresh_token="ref", expires_at=7)
    bash = env_lines(config, "bash")
    assert 'export SENSU_API_URL="http://h:8080"' in bash
    assert 'export SENSU_ACCESS_TOKEN_EXPIRES_AT="7"' in bash
    assert 'export SENSU_INSECURE_SKIP_TLS_VERIFY="false"' in bash
    assert bash[-1] == "# eval $(vigilctl env)"
    fish = env_lines(config, "fish")
    assert 'set -x SENSU_REFRESH_TOKEN "ref";' in fish
    names = [line.split()[1].split("=")[0] for line in bash if line.startswith("export")]
    assert names == [
        "SENSU_API_URL",
        "SENSU_NAMESPACE",
        "SENSU_FORMAT",
        "SENSU_ACCESS_TOKEN",
        "SENSU_ACCESS_TOKEN_EXPIRES_AT",
        "SENSU_REFRESH_TOKEN",
        "SENSU_TRUSTED_CA_FILE",
        "SENSU_INSECURE_SKIP_TLS_VERIFY",
    ]
