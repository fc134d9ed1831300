"""The per-user config file: where the API is, the session tokens and the output preferences.

The file holds live credentials, so it is always written with mode 0600 (directory 0700) and
replaced atomically, never left half written.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from vigil.ctl.errors import CtlError

CONFIG_DIR_ENV = "VIGILCTL_CONFIG_DIR"
API_KEY_ENVS = ("VIGIL_API_KEY", "SENSU_API_KEY")
CONFIG_FILE = "config.json"
DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_NAMESPACE = "default"
DEFAULT_FORMAT = "tabular"
FORMATS = ("tabular", "json", "yaml", "wrapped-json")
# Refresh a little early so a token does not expire between the check and the request.
EXPIRY_MARGIN_SECONDS = 10


@dataclass
class CtlConfig:
    """Everything `vigilctl configure` stores."""

    url: str = DEFAULT_URL
    username: str = ""
    namespace: str = DEFAULT_NAMESPACE
    format: str = DEFAULT_FORMAT
    access_token: str = ""
    refresh_token: str = ""
    expires_at: int = 0
    trusted_ca_file: str = ""
    insecure_skip_tls_verify: bool = False
    timeout: float = 15.0  # seconds, sensuctl's default

    def token_expired(self, now: float | None = None) -> bool:
        current = time.time() if now is None else now
        return self.expires_at <= current + EXPIRY_MARGIN_SECONDS

    def logged_in(self) -> bool:
        return bool(self.access_token and self.refresh_token)


def config_dir(override: str | None = None) -> Path:
    """`--config-dir`, then $VIGILCTL_CONFIG_DIR, then $XDG_CONFIG_HOME or ~/.config."""
    if override:
        return Path(override)
    from_env = os.environ.get(CONFIG_DIR_ENV)
    if from_env:
        return Path(from_env)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "vigilctl"


def config_path(directory: Path) -> Path:
    return directory / CONFIG_FILE


def load_config(directory: Path) -> CtlConfig:
    """Read the config; a missing file means defaults, unknown keys are ignored."""
    path = config_path(directory)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return CtlConfig()
    except ValueError as exc:
        raise CtlError(f"{path} is not valid JSON ({exc}); run `vigilctl configure`") from exc
    if not isinstance(raw, dict):
        raise CtlError(f"{path} does not hold a settings object; run `vigilctl configure`")
    known = {f.name for f in fields(CtlConfig)}
    return CtlConfig(**{k: v for k, v in raw.items() if k in known})


def save_config(directory: Path, config: CtlConfig) -> Path:
    """Write atomically with mode 0600, creating the directory with mode 0700."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = config_path(directory)
    tmp = path.with_name(f".{CONFIG_FILE}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(config), handle, indent=2)
            handle.write("\n")
        os.chmod(tmp, 0o600)  # O_CREAT's mode is filtered by umask; make sure
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def api_key_from_env() -> str | None:
    for name in API_KEY_ENVS:
        value = os.environ.get(name)
        if value:
            return value
    return None
