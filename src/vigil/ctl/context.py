"""Per-invocation state shared by every command: global options, config and the API client."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import click
import httpx

from vigil.ctl.client import ApiClient
from vigil.ctl.config import (
    CtlConfig,
    api_key_from_env,
    config_dir,
    load_config,
    save_config,
)


@dataclass
class CtlContext:
    """What the `vigilctl` group's options resolve to; commands read it via `pass_ctl`.

    `transport` lets tests observe the client's real HTTP exchanges.
    """

    config_dir_override: str | None = None
    url: str | None = None
    api_key: str | None = None
    namespace: str | None = None
    format: str | None = None
    timeout: float | None = None  # seconds; None = the configured one
    trusted_ca_file: str | None = None
    insecure_skip_tls_verify: bool = False
    transport: httpx.BaseTransport | None = None
    _config: CtlConfig | None = field(default=None, repr=False)
    _client: ApiClient | None = field(default=None, repr=False)

    @property
    def directory(self) -> Path:
        return config_dir(self.config_dir_override)

    @property
    def config(self) -> CtlConfig:
        if self._config is None:
            self._config = load_config(self.directory)
            if self.url:
                self._config.url = self.url
            # One-off overrides: they apply to this run, never to the saved file.
            if self.trusted_ca_file:
                self._config.trusted_ca_file = self.trusted_ca_file
            if self.insecure_skip_tls_verify:
                self._config.insecure_skip_tls_verify = True
        return self._config

    def save(self, config: CtlConfig) -> Path:
        self._config = config
        return save_config(self.directory, config)

    def effective_api_key(self) -> str | None:
        return self.api_key or api_key_from_env()

    def effective_namespace(self, override: str | None = None) -> str:
        return (
            override
            or self.namespace
            or os.environ.get("SENSU_NAMESPACE")
            or self.config.namespace
            or "default"
        )

    def effective_format(self, override: str | None = None) -> str:
        return override or self.format or self.config.format or "tabular"

    def client(self) -> ApiClient:
        if self._client is None:
            self._client = self.new_client(self.config)
        return self._client

    def new_client(self, config: CtlConfig, *, with_key: bool = True) -> ApiClient:
        return ApiClient(
            config,
            api_key=self.effective_api_key() if with_key else None,
            on_tokens=self._persist_tokens,
            transport=self.transport,
            timeout=self.timeout or config.timeout,
        )

    def _persist_tokens(self, config: CtlConfig) -> None:
        # A one-off --url must not overwrite the URL the user configured.
        stored = load_config(self.directory)
        if self.url and self.url.rstrip("/") != stored.url.rstrip("/"):
            return
        stored.access_token = config.access_token
        stored.refresh_token = config.refresh_token
        stored.expires_at = config.expires_at
        save_config(self.directory, stored)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


pass_ctl = click.make_pass_decorator(CtlContext, ensure=True)
