"""Every server setting, declared once with its flag name, default and help.

Precedence: command-line flag > ``VIGIL_<NAME>`` environment variable > default. Flag names
follow sensu-backend's where the concept exists, so Sensu's docs still apply.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Setting:
    name: str  # attribute name; the flag is --name-with-dashes, the env var VIGIL_NAME
    default: Any
    help: str
    choices: tuple[str, ...] = ()  # the only values accepted, when the setting is a choice

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return "VIGIL_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("api_listen_address", "127.0.0.1:8080", "host:port the HTTP API listens on"),
    Setting("state_dir", "vigil-data", "directory for the SQLite store and local state"),
    Setting("api_request_limit", 512000, "largest request body accepted, in bytes"),
    Setting(
        "log_level",
        "info",
        "debug, info, warn or error",
        ("debug", "info", "warn", "warning", "error"),
    ),
    Setting("store", "sqlite", "sqlite (embedded, default) or postgres", ("sqlite", "postgres")),
    Setting("pg_url", "", "PostgreSQL URL when --store postgres (postgresql://...)"),
    Setting("access_token_ttl", 900, "lifetime of an access token, in seconds"),
    Setting("refresh_token_ttl", 43200, "lifetime of a refresh token, in seconds"),
    Setting("pipeline_workers", 16, "handler pipeline workers"),
    Setting("pipeline_queue_size", 10000, "events waiting for the pipeline before drops"),
    Setting("js_timeout", 1.0, "time limit for one JavaScript filter or mutator, in seconds"),
    Setting("keepalive_check_interval", 1.0, "how often keepalive deadlines are checked, in s"),
    Setting("silence_expiry_interval", 1.0, "how often expired silences are removed, in s"),
    Setting(
        "default_silenced_expiry_time",
        0,
        "seconds a silence lives when it gives no expiry (0 = until deleted)",
    ),
    Setting(
        "max_silenced_expiry_time_allowed",
        0,
        "longest a silence may last from its start, in seconds (0 = no limit)",
    ),
    Setting(
        "cluster_heartbeat_interval",
        5.0,
        "how often a backend renews its cluster membership, in s (gone after 3 missed)",
    ),
    Setting("login_max_failures", 5, "failed /auth attempts per user and client before a pause"),
    Setting("login_lockout", 60.0, "seconds a user+client is refused after too many failures"),
    Setting("login_client_max_failures", 20, "failed logins per client (any user) before a pause"),
    Setting("login_user_max_failures", 50, "failed logins per user (any client) before a pause"),
    Setting("login_user_lockout", 10.0, "seconds a user is refused to clients it never used"),
    Setting(
        "handler_user",
        "nobody",
        "user pipe handlers and mutators run as when Vigil runs as root ('' = root too)",
    ),
    Setting("handler_group", "", "their group ('' = the handler user's primary group)"),
    Setting(
        "handler_allow_list",
        "",
        "YAML/JSON file of the only commands handlers and mutators may run (agent format)",
    ),
    Setting("max_connections", 1000, "open connections per listener; beyond it: 503 and close"),
    Setting("max_header_bytes", 65536, "largest request head (request line + headers), bytes"),
    Setting("http_idle_timeout", 5, "seconds an idle keep-alive connection stays open"),
    Setting("http_header_timeout", 10.0, "seconds a client has to send a request's headers"),
    Setting("http_body_timeout", 15.0, "seconds a client has to send a request's body"),
    Setting(
        "trusted_proxies",
        "",
        "comma-separated proxy addresses/networks whose X-Forwarded-For is believed",
    ),
    Setting("dashboard_host", "127.0.0.1", "host the web dashboard listens on"),
    Setting("dashboard_port", 3000, "port the web dashboard listens on"),
    Setting("agent_host", "127.0.0.1", "address the agent websocket listener binds"),
    Setting("agent_port", 8081, "port of the agent websocket listener"),
    Setting("agent_send_queue_size", 100, "messages waiting per agent session before drops"),
    Setting("agent_ping_interval", 30.0, "seconds between websocket pings to each agent"),
    Setting("agent_ping_timeout", 15.0, "seconds to wait for an agent's pong before closing"),
)


def _coerce(value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        return str(value).lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class Settings:
    api_listen_address: str = "127.0.0.1:8080"
    state_dir: str = "vigil-data"
    api_request_limit: int = 512000
    log_level: str = "info"
    store: str = "sqlite"
    pg_url: str = ""
    access_token_ttl: int = 900
    refresh_token_ttl: int = 43200
    pipeline_workers: int = 16
    pipeline_queue_size: int = 10000
    js_timeout: float = 1.0
    keepalive_check_interval: float = 1.0
    silence_expiry_interval: float = 1.0
    default_silenced_expiry_time: int = 0
    max_silenced_expiry_time_allowed: int = 0
    cluster_heartbeat_interval: float = 5.0
    login_max_failures: int = 5
    login_lockout: float = 60.0
    login_client_max_failures: int = 20
    login_user_max_failures: int = 50
    login_user_lockout: float = 10.0
    handler_user: str = "nobody"
    handler_group: str = ""
    handler_allow_list: str = ""
    max_connections: int = 1000
    max_header_bytes: int = 65536
    http_idle_timeout: int = 5
    http_header_timeout: float = 10.0
    http_body_timeout: float = 15.0
    trusted_proxies: str = ""
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = 3000
    agent_host: str = "127.0.0.1"
    agent_port: int = 8081
    agent_send_queue_size: int = 100
    agent_ping_interval: float = 30.0
    agent_ping_timeout: float = 15.0
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return self.api_listen_address.rsplit(":", 1)[0].strip("[]") or "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self.api_listen_address.rsplit(":", 1)[1])

    @classmethod
    def load(
        cls, flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
    ) -> Settings:
        """Flags (None = not given) over VIGIL_* env vars over defaults."""
        flags = flags or {}
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            given = flags.get(setting.name)
            if given is None and setting.env in env:
                given = env[setting.env]
            if given is not None:
                values[setting.name] = _coerce(given, setting.default)
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)
