"""httpx client for the API v2: credentials, token refresh, paging and error decoding.

Works against any Sensu Go 6.x compatible backend; nothing here knows about Vigil's server.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from vigil.ctl.config import CtlConfig
from vigil.ctl.errors import CtlError

CONTINUE_HEADER = "Sensu-Continue"
DEFAULT_TIMEOUT = 15.0
TokenSaver = Callable[[CtlConfig], None]


def error_message(response: httpx.Response) -> str:
    """Decode `{"message","code"}`, the capitalised middleware form, or a plain-text body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key, value in body.items():
            if key.lower() == "message" and value:
                return str(value)
    text = response.text.strip()
    if text:
        return text
    return f"{response.status_code} {response.reason_phrase}".strip()


def tls_verify(config: CtlConfig) -> ssl.SSLContext | bool:
    if config.insecure_skip_tls_verify:
        return False
    if config.trusted_ca_file:
        return ssl.create_default_context(cafile=config.trusted_ca_file)
    return True


class ApiClient:
    """One API endpoint plus the credentials to use on it.

    With `api_key` every request carries `Authorization: Key ...`. Otherwise the bearer token of
    `config` is used; it is refreshed when expired or after one 401, and the new tokens are
    handed to `on_tokens` so they can be persisted.
    """

    def __init__(
        self,
        config: CtlConfig,
        *,
        api_key: str | None = None,
        on_tokens: TokenSaver | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.config = config
        self.api_key = api_key
        self._on_tokens = on_tokens
        self._http = httpx.Client(
            base_url=config.url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            verify=tls_verify(config),
        )

    def close(self) -> None:
        self._http.close()

    # --- sending -------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            detail = str(exc) or type(exc).__name__
            raise CtlError(f"cannot reach the API at {self.config.url}: {detail}") from exc

    def _auth_header(self) -> dict[str, str]:
        if self.api_key:
            return {"Authorization": f"Key {self.api_key}"}
        if not self.config.logged_in():
            raise CtlError("not logged in: run `vigilctl configure` or set VIGIL_API_KEY")
        if self.config.token_expired():
            self.refresh()
        return {"Authorization": f"Bearer {self.config.access_token}"}

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
    ) -> httpx.Response:
        """Send an authenticated request; any status >= 400 raises CtlError."""
        response = self._send(method, path, json=json, params=params, headers=self._auth_header())
        if response.status_code == 401 and not self.api_key:
            self.refresh()  # once: the fresh token is used as it is, never refreshed again
            retry = {"Authorization": f"Bearer {self.config.access_token}"}
            response = self._send(method, path, json=json, params=params, headers=retry)
        if response.status_code >= 400:
            raise CtlError(error_message(response), response.status_code)
        return response

    # --- verbs ---------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        return self.request("GET", path, params=params).json()

    def put(self, path: str, body: Any) -> httpx.Response:
        return self.request("PUT", path, json=body)

    def post(self, path: str, body: Any) -> httpx.Response:
        return self.request("POST", path, json=body)

    def delete(self, path: str) -> httpx.Response:
        return self.request("DELETE", path)

    def list(
        self, path: str, params: Mapping[str, str] | None = None, chunk_size: int = 0
    ) -> list[Any]:
        """Fetch a whole collection, following `Sensu-Continue` until the header is absent."""
        items: list[Any] = []
        query: dict[str, str | int] = dict(params or {})
        if chunk_size > 0:
            query["limit"] = chunk_size
        while True:
            response = self.request("GET", path, params=query)
            page = response.json()
            items.extend(page or [])
            token = response.headers.get(CONTINUE_HEADER)
            if not token or chunk_size <= 0:
                return items
            query["continue"] = token

    # --- sessions ------------------------------------------------------------------------

    def login(self, username: str, password: str) -> CtlConfig:
        """`GET /auth` with Basic credentials; stores the tokens on the config."""
        response = self._send("GET", "/auth", auth=(username, password))
        if response.status_code >= 400:
            raise CtlError(f"login failed: {error_message(response)}", response.status_code)
        self._apply_tokens(response.json())
        self.config.username = username
        return self.config

    def logout(self) -> None:
        """`POST /auth/logout`: ends this session on the backend (its tokens stop working)."""
        response = self._send(
            "POST",
            "/auth/logout",
            json={"refresh_token": self.config.refresh_token},
            headers={"Authorization": f"Bearer {self.config.access_token}"},
        )
        if response.status_code >= 400:
            raise CtlError(error_message(response), response.status_code)

    def test_credentials(self, username: str, password: str) -> None:
        """`GET /auth/test` with Basic credentials (sensuctl user test-creds)."""
        response = self._send("GET", "/auth/test", auth=(username, password))
        if response.status_code >= 400:
            raise CtlError(error_message(response), response.status_code)

    def refresh(self) -> None:
        """`POST /auth/token` with the (possibly expired) access token and the refresh token."""
        if not self.config.refresh_token:
            raise CtlError("session expired: run `vigilctl configure` again")
        response = self._send(
            "POST",
            "/auth/token",
            json={"refresh_token": self.config.refresh_token},
            headers={"Authorization": f"Bearer {self.config.access_token}"},
        )
        if response.status_code >= 400:
            detail = error_message(response)
            raise CtlError(
                f"session expired ({detail}): run `vigilctl configure` again",
                response.status_code,
            )
        self._apply_tokens(response.json())
        if self._on_tokens is not None:
            self._on_tokens(self.config)

    def _apply_tokens(self, body: Any) -> None:
        if not isinstance(body, dict) or not body.get("access_token"):
            raise CtlError("the API answered the login without tokens")
        self.config.access_token = str(body["access_token"])
        self.config.refresh_token = str(body.get("refresh_token", ""))
        self.config.expires_at = int(body.get("expires_at", 0))
