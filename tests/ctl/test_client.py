"""The API client: paging, token refresh, API keys and error decoding."""

from __future__ import annotations

import httpx
import pytest

from tests.ctl.fake_api import PASSWORD, USER, FakeApi
from vigil.ctl.client import ApiClient, error_message
from vigil.ctl.config import CtlConfig
from vigil.ctl.errors import CtlError

CHECKS = "/api/core/v2/namespaces/default/checks"


def logged_in(api: FakeApi, saved: list[CtlConfig] | None = None) -> ApiClient:
    client = ApiClient(
        CtlConfig(url="http://api"),
        transport=api.transport,
        on_tokens=None if saved is None else saved.append,
    )
    client.login(USER, PASSWORD)
    return client


def test_login_stores_tokens() -> None:
    api = FakeApi()
    client = logged_in(api)
    assert client.config.access_token == api.access
    assert client.config.username == USER


def test_bad_login_is_an_error() -> None:
    client = ApiClient(CtlConfig(url="http://api"), transport=FakeApi().transport)
    with pytest.raises(CtlError, match="login failed: Unauthorized"):
        client.login(USER, "wrong")


@pytest.mark.parametrize("chunk", [0, 1, 2, 5, 10])
def test_list_follows_continue_until_absent(chunk: int) -> None:
    api = FakeApi(items=5)
    items = logged_in(api).list(CHECKS, chunk_size=chunk)
    assert [c["metadata"]["name"] for c in items] == [f"c{i}" for i in range(5)]
    pages = [r for r in api.requests if r.url.path == CHECKS]
    assert len(pages) == (1 if chunk == 0 else -(-5 // chunk))


def test_expired_token_is_refreshed_before_the_request() -> None:
    api, saved = FakeApi(), list[CtlConfig]()
    client = logged_in(api, saved)
    client.config.expires_at = 1
    client.list(CHECKS)
    assert client.config.access_token == api.access
    assert saved and saved[-1].refresh_token == api.refresh
    assert [r.url.path for r in api.requests[-2:]] == ["/auth/token", CHECKS]


def test_one_401_triggers_a_refresh_and_a_retry() -> None:
    api, saved = FakeApi(), list[CtlConfig]()
    client = logged_in(api, saved)
    api.expire_access()
    assert len(client.list(CHECKS)) == 5
    assert len(saved) == 1


def test_failed_refresh_asks_to_configure_again() -> None:
    api = FakeApi()
    client = logged_in(api)
    api.expire_access()
    api.refresh = "burnt"
    with pytest.raises(CtlError, match="configure"):
        client.list(CHECKS)


def test_api_key_needs_no_login() -> None:
    api = FakeApi()
    client = ApiClient(CtlConfig(url="http://api"), api_key="k-123", transport=api.transport)
    assert len(client.list(CHECKS)) == 5
    assert api.requests[-1].headers["Authorization"] == "Key k-123"


def test_no_credentials_is_a_clear_error() -> None:
    client = ApiClient(CtlConfig(url="http://api"), transport=FakeApi().transport)
    with pytest.raises(CtlError, match="not logged in"):
        client.list(CHECKS)


def test_server_errors_carry_message_and_status() -> None:
    client = logged_in(FakeApi())
    with pytest.raises(CtlError) as caught:
        client.put(f"{CHECKS}/broken", {})
    assert caught.value.message == "resource is invalid: nope"
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(404, json={"message": "not found", "code": 2}), "not found"),
        (httpx.Response(403, json={"Code": 4, "Message": "unauthorized"}), "unauthorized"),
        (httpx.Response(400, text="user does not exist\n"), "user does not exist"),
        (httpx.Response(405), "405 Method Not Allowed"),
    ],
    ids=["lower", "capitalised", "text", "empty"],
)
def test_error_message_decoding(response: httpx.Response, message: str) -> None:
    assert error_message(response) == message


def test_connection_errors_name_the_url() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = ApiClient(CtlConfig(url="http://api:1"), transport=httpx.MockTransport(refuse))
    with pytest.raises(CtlError, match=r"cannot reach the API at http://api:1"):
        client.login(USER, PASSWORD)
