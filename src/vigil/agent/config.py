"""Every agent setting, declared once with sensu-agent's flag name, default and help.

Precedence is sensu-agent's (viper): command-line flag > ``SENSU_<NAME>`` environment variable >
``--config-file`` (Sensu's ``agent.yml``: flag names as keys) > default. The config file comes
from ``--config-file``, else ``SENSU_CONFIG_FILE``; a missing default file is no error.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vigil.errors import InvalidArgument

ENV_PREFIX = "SENSU_"
DEFAULT_REDACT = ["password", "passwd", "pass", "api_key", "api_token", "access_key"]
DEFAULT_REDACT += ["secret_key", "private_key", "secret"]


@dataclass(frozen=True, slots=True)
class AgentSetting:
    name: str  # sensu-agent's flag name, dashes included
    default: Any
    help: str
    kind: str = "str"  # str, int, float, bool, list, map, duration

    @property
    def flag(self) -> str:
        return "--" + self.name

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper().replace("-", "_")

    @property
    def attr(self) -> str:
        return self.name.replace("-", "_")


S = AgentSetting
AGENT_SETTINGS: tuple[AgentSetting, ...] = (
    S("backend-url", ["ws://127.0.0.1:8081"], "ws/wss URLs of backends (repeatable)", "list"),
    S("name", "", "agent (entity) name; the hostname when empty"),
    S("namespace", "default", "agent namespace"),
    S("subscriptions", [], "agent subscriptions (comma-separated, repeatable)", "list"),
    S("user", "agent", "agent user"),
    S("password", "P@ssw0rd!", "agent password"),
    S("labels", {}, "entity labels (k=v,k=v)", "map"),
    S("annotations", {}, "entity annotations (k=v,k=v)", "map"),
    S("cache-dir", "/var/cache/sensu/sensu-agent", "assets and the event outbox live here"),
    S("keepalive-interval", 20, "seconds between keepalives", "int"),
    S("keepalive-warning-timeout", 120, "seconds without keepalive before a warning", "int"),
    S("keepalive-critical-timeout", 0, "seconds without keepalive before critical (0 off)", "int"),
    S("keepalive-handlers", [], "keepalive handlers of this entity", "list"),
    S("keepalive-pipelines", [], "pipeline references for keepalive events", "list"),
    S("keepalive-check-labels", {}, "labels of keepalive events", "map"),
    S("keepalive-check-annotations", {}, "annotations of keepalive events", "map"),
    S("deregister", False, "ephemeral agent: deregistered when it stops", "bool"),
    S("deregistration-handler", "", "handler of this entity's deregistration event"),
    S("api-host", "127.0.0.1", "address the agent HTTP API binds to"),
    S("api-port", 3031, "port of the agent HTTP API", "int"),
    S("disable-api", False, "disable the agent HTTP API", "bool"),
    S("socket-host", "127.0.0.1", "address the 1.x TCP/UDP socket binds to"),
    S("socket-port", 3030, "port of the 1.x TCP/UDP socket", "int"),
    S("disable-sockets", False, "disable the TCP/UDP socket", "bool"),
    S("statsd-disable", False, "disable the StatsD listener", "bool"),
    S("statsd-metrics-host", "127.0.0.1", "address of the StatsD listener"),
    S("statsd-metrics-port", 8125, "UDP port of the StatsD listener", "int"),
    S("statsd-flush-interval", 10, "seconds between StatsD flushes", "int"),
    S("statsd-event-handlers", [], "handlers of StatsD metric events", "list"),
    S("disable-assets", False, "refuse checks that need runtime assets", "bool"),
    S("allow-list", "", "path of the execution allow list (YAML or JSON)"),
    S("redact", DEFAULT_REDACT, "fields redacted from the entity", "list"),
    S("retry-min", 1.0, "first reconnect delay (Go duration, e.g. 1s)", "duration"),
    S("retry-max", 120.0, "longest reconnect delay (Go duration)", "duration"),
    S("retry-multiplier", 2.0, "reconnect delay growth factor", "float"),
    S("backend-handshake-timeout", 15, "seconds to open a websocket", "int"),
    S("backend-heartbeat-interval", 30, "seconds between websocket pings", "int"),
    S("backend-heartbeat-timeout", 45, "seconds to wait for a pong", "int"),
    S("log-level", "info", "panic, fatal, error, warn, info or debug"),
    S(
        "events-rate-limit",
        10.0,
        "events per second sent from the API queue (0 = no limit)",
        "float",
    ),
    S("events-burst-limit", 10, "burst of API queue events sent at once", "int"),
    S("assets-rate-limit", 1.39, "asset fetches per second", "float"),
    S("assets-burst-limit", 100, "asset fetch burst", "int"),
    S("detect-cloud-provider", False, "cloud provider detection (accepted, none done)", "bool"),
    S("discover-processes", False, "list local processes in the entity's system facts", "bool"),
    S("strip-networks", False, "leave network interfaces out of the entity", "bool"),
    S("outbox-max-events", 10000, "events kept on disk while disconnected (Vigil)", "int"),
    S("trusted-ca-file", "", "CA bundle (PEM) for wss:// backends and HTTPS assets"),
    S("insecure-skip-tls-verify", False, "skip TLS verification (not recommended)", "bool"),
    S("cert-file", "", "client certificate for TLS authentication"),
    S("key-file", "", "client key for TLS authentication"),
    S("max-session-length", 0.0, "reconnect after this long (Go duration; 0 = never)", "duration"),
    S("agent-managed-entity", False, "the agent, not the backend, owns its entity", "bool"),
)
del S
BY_NAME: dict[str, AgentSetting] = {s.name: s for s in AGENT_SETTINGS}

_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` (``1s``, ``1m30s``, ``500ms``), in seconds; plain numbers
    are seconds."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    pos, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise InvalidArgument(f"invalid duration {text!r}")
    return total


def _as_list(value: Any) -> list[str]:
    """Flags and the config file give lists or comma-separated text; env vars give
    whitespace-separated text (viper's cast), commas accepted as well."""
    items = list(value) if isinstance(value, list | tuple) else re.split(r"[,\s]+", str(value))
    return [str(item).strip() for item in items if str(item).strip()]


def _as_map(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        pairs: list[str] = [str(p) for p in value]
    else:
        text = str(value).strip()
        if text.startswith("{"):  # SENSU_LABELS='{"k": "v"}', as Sensu's docs show
            return {str(k): str(v) for k, v in json.loads(text).items()}
        pairs = [text] if text else []
    out: dict[str, str] = {}
    for pair in (p for chunk in pairs for p in chunk.split(",") if p.strip()):
        key, sep, val = pair.partition("=")
        if not sep:
            raise InvalidArgument(f"{pair!r} must be formatted as key=value")
        out[key.strip()] = val.strip()
    return out


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on", "t")


_COERCE: dict[str, Callable[[Any], Any]] = {
    "str": str,
    "int": lambda v: int(v),
    "float": lambda v: float(v),
    "bool": _as_bool,
    "list": _as_list,
    "map": _as_map,
    "duration": lambda v: v if isinstance(v, int | float) else parse_duration(str(v)),
}


@dataclass(slots=True)
class AgentConfig:
    """The resolved settings, attribute names are the flag names with underscores."""

    values: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def replace(self, **changes: Any) -> AgentConfig:
        return AgentConfig({**self.values, **changes})


def read_config_file(path: str | None, environ: Mapping[str, str]) -> dict[str, Any]:
    """The ``agent.yml`` mapping; an explicitly named file must exist and parse."""
    path = path or environ.get(ENV_PREFIX + "CONFIG_FILE") or ""
    if not path:
        default = Path("/etc/sensu/agent.yml")
        if not default.is_file():
            return {}
        path = str(default)
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidArgument(f"cannot read config file {path}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidArgument(f"config file {path} must be a mapping of flag names to values")
    return data


def resolve(
    flags: Mapping[str, Any],
    *,
    config_file: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> AgentConfig:
    """Flags given on the command line (by flag name) over env over file over defaults."""
    environ = os.environ if environ is None else environ
    file_values = read_config_file(config_file, environ)
    values: dict[str, Any] = {}
    for setting in AGENT_SETTINGS:
        raw: Any = setting.default
        if setting.name in file_values and file_values[setting.name] is not None:
            raw = file_values[setting.name]
        if setting.env in environ:
            raw = environ[setting.env]
        if setting.name in flags and flags[setting.name] is not None:
            raw = flags[setting.name]
        try:
            values[setting.attr] = _COERCE[setting.kind](raw)
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            raise InvalidArgument(f"invalid value for {setting.flag}: {raw!r}") from exc
    if not values["name"]:
        values["name"] = socket.gethostname()
    values["backend_url"] = [_with_port(url) for url in values["backend_url"]]
    if values["agent_managed_entity"]:
        values["labels"] = {**values["labels"], "sensu.io/managed_by": "sensu-agent"}
    config = AgentConfig(values)
    validate(config)
    return config


def _with_port(url: str) -> str:
    """sensu-agent appends the default backend port 8081 when a URL names none."""
    match = re.match(r"^(wss?://)(\[[^\]]+\]|[^/:]+)(:\d+)?(.*)$", url)
    if match is None:
        raise InvalidArgument(f"backend URL ({url}) must have ws:// or wss:// scheme")
    scheme, host, port, rest = match.groups()
    return f"{scheme}{host}{port or ':8081'}{rest}"


def validate(config: AgentConfig) -> None:
    """sensu-agent's start-up checks, with its messages."""
    if config.keepalive_warning_timeout < 5:
        raise InvalidArgument(
            f"bad keepalive timeout: {config.keepalive_warning_timeout} "
            "(minimum value is 5 seconds)"
        )
    critical = config.keepalive_critical_timeout
    if critical and critical < 5:
        raise InvalidArgument(
            f"bad keepalive critical timeout: {critical} (minimum value is 5 seconds)"
        )
    if critical and critical < config.keepalive_warning_timeout:
        raise InvalidArgument(
            "if set, --keepalive-critical-timeout must be greater than --keepalive-warning-timeout"
        )
    if not config.backend_url:
        raise InvalidArgument("no backend URLs defined")
    if not re.fullmatch(r"[\w.\-:]+", config.name):
        raise InvalidArgument(f"invalid agent name: {config.name!r}")
    if config.keepalive_interval < 1:
        raise InvalidArgument("--keepalive-interval must be at least 1")


def setting_names() -> Sequence[str]:
    return [s.name for s in AGENT_SETTINGS]
