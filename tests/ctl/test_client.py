"""The API client against a real server: paging, token refresh, API keys and error decoding.

Access tokens here live 2 s (``LIVE_SETTINGS``), so a token the client still believes valid
can really be refused by the server. Being inside the client's 10 s safety margin, such a
token is also refreshed before each request unless a test moves its expiry forward.
`Recorder` only notes what went over the wire; every answer comes from the server.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.ctl.conftest import Recorder
from tests.support import (
    ADMIN,
    PASSWORD,
    LiveServer,
    client_for,
    free_port,
    token_for,
    wait_for,
)
from vigil.ctl.client import CONTINUE_HEADER, ApiClient, error_message
from vigil.ctl.config import CtlConfig
from vigil.ctl.errors import CtlError

LIVE_SETTINGS = {"access_token_ttl": 2}
FAR_FUTURE = 4_000_000_000
ITEMS = 5

Unique = Callable[[str], str]


def checks_path(namespace: str) -> str:
    return f"/api/core/v2/namespaces/{namespace}/checks"


@pytest.fixture(scope="module")
def five_checks(live: LiveServer) -> tuple[str, list[str]]:
    """A namespace of its own holding exactly five checks (names in the API's order)."""
    namespace = f"paging-{uuid.uuid4().hex[:8]}"
    names = [f"c{i}" for i in range(ITEMS)]
    with client_for(live.url, token_for(live.url)) as admin:
        assert admin.post("/api/core/v2/namespaces", json={"name": namespace}).status_code == 201
        for name in names:
            body = {
                "metadata": {"name": name, "namespace": namespace},
                "command": f"true {name}",
                "interval": 60,
            }
            created = admin.put(f"{checks_path(namespace)}/{name}", json=body)
            assert created.status_code == 201, created.text
    return namespace, names


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    transport = Recorder()
    yield transport
    transport.close()


def new_client(
    live: LiveServer,
    recorder: Recorder,
    saved: list[CtlConfig] | None = None,
    api_key: str | None = None,
) -> ApiClient:
    return ApiClient(
        CtlConfig(url=live.url),
        api_key=api_key,
        transport=recorder,
        on_tokens=None if saved is None else saved.append,
    )


def logged_in(
    live: LiveServer, recorder: Recorder, saved: list[CtlConfig] | None = None
) -> ApiClient:
    client = new_client(live, recorder, saved)
    client.login(ADMIN, PASSWORD)
    return client


def accepted(live: LiveServer, access_token: str) -> bool:
    """Whether the server takes this access token right now."""
    with client_for(live.url, access_token) as http:
        return http.get("/api/core/v2/namespaces").status_code == 200


def test_login_stores_tokens(live: LiveServer, recorder: Recorder) -> None:
    client = logged_in(live, recorder)
    assert client.config.username == ADMIN
    assert client.config.refresh_token and client.config.expires_at > time.time()
    assert accepted(live, client.config.access_token)


def test_bad_login_is_an_error(live: LiveServer, recorder: Recorder, unique: Unique) -> None:
    client = new_client(live, recorder)
    # A user of its own: failed logins count against the (user, address) pair.
    with pytest.raises(CtlError, match=r"^login failed: Unauthorized$") as caught:
        client.login(unique("nobody"), "wrong")
    assert caught.value.status == 401
    assert not client.config.access_token


@pytest.mark.parametrize("chunk", [0, 1, 2, 5, 10])
def test_list_follows_continue_until_absent(
    live: LiveServer, recorder: Recorder, five_checks: tuple[str, list[str]], chunk: int
) -> None:
    namespace, names = five_checks
    items = logged_in(live, recorder).list(checks_path(namespace), chunk_size=chunk)
    assert [c["metadata"]["name"] for c in items] == names
    pages = recorder.calls(checks_path(namespace))
    assert len(pages) == (1 if chunk == 0 else -(-ITEMS // chunk))
    assert all(status == 200 for *_, status in pages)
    if chunk:
        assert all(f"limit={chunk}" in query for _, _, query, _ in pages)
        assert all("continue=" in query for _, _, query, _ in pages[1:])


def test_continue_header_is_absent_on_the_last_page(
    live: LiveServer, five_checks: tuple[str, list[str]]
) -> None:
    namespace, _ = five_checks
    with client_for(live.url, token_for(live.url)) as admin:
        first = admin.get(checks_path(namespace), params={"limit": 3})
        last = admin.get(
            checks_path(namespace), params={"limit": 3, "continue": first.headers[CONTINUE_HEADER]}
        )
    assert len(first.json()) == 3 and len(last.json()) == 2
    assert CONTINUE_HEADER not in last.headers


def test_expired_token_is_refreshed_before_the_request(
    live: LiveServer, recorder: Recorder, five_checks: tuple[str, list[str]]
) -> None:
    namespace, _ = five_checks
    saved: list[CtlConfig] = []
    client = logged_in(live, recorder, saved)
    old_refresh = client.config.refresh_token
    client.config.expires_at = 1
    assert len(client.list(checks_path(namespace))) == ITEMS
    assert [(method, path) for method, path, *_ in recorder.seen[-2:]] == [
        ("POST", "/auth/token"),
        ("GET", checks_path(namespace)),
    ]
    assert saved and saved[-1].refresh_token == client.config.refresh_token != old_refresh
    assert accepted(live, client.config.access_token)


def test_one_401_triggers_a_refresh_and_a_retry(
    live: LiveServer, recorder: Recorder, five_checks: tuple[str, list[str]]
) -> None:
    namespace, _ = five_checks
    saved: list[CtlConfig] = []
    client = logged_in(live, recorder, saved)
    stale = client.config.access_token
    # The client believes its token is good; the server's 2 s lifetime runs out meanwhile.
    client.config.expires_at = FAR_FUTURE
    wait_for(lambda: not accepted(live, stale))
    before = len(recorder.seen)
    assert len(client.list(checks_path(namespace))) == ITEMS
    trace = [(method, path, status) for method, path, _, status in recorder.seen[before:]]
    assert trace[0] == ("GET", checks_path(namespace), 401)
    assert trace[1] == ("POST", "/auth/token", 200)
    assert trace[-1] == ("GET", checks_path(namespace), 200)
    # Between the two, only refreshes (the new 2 s token is inside the client's margin).
    assert {step for step in trace[1:-1]} == {("POST", "/auth/token", 200)}
    assert saved and client.config.access_token != stale


def test_failed_refresh_asks_to_configure_again(
    live: LiveServer, recorder: Recorder, five_checks: tuple[str, list[str]]
) -> None:
    namespace, _ = five_checks
    client = logged_in(live, recorder)
    tokens = {"refresh_token": client.config.refresh_token}
    with client_for(live.url, client.config.access_token) as http:  # the session ends elsewhere
        assert http.post("/auth/logout", json=tokens).status_code == 200
    with pytest.raises(CtlError, match=r"session expired .*run `vigilctl configure` again"):
        client.list(checks_path(namespace))


def test_api_key_needs_no_login(
    live: LiveServer, recorder: Recorder, five_checks: tuple[str, list[str]]
) -> None:
    namespace, _ = five_checks
    with client_for(live.url, token_for(live.url)) as admin:
        granted = admin.post("/api/core/v2/apikeys", json={"username": ADMIN})
    assert granted.status_code == 201, granted.text
    key = granted.headers["Location"].rsplit("/", 1)[1]
    client = new_client(live, recorder, api_key=key)
    assert len(client.list(checks_path(namespace))) == ITEMS
    assert not any(path.startswith("/auth") for _, path, *_ in recorder.seen)
    assert not client.config.access_token


def test_no_credentials_is_a_clear_error(live: LiveServer, recorder: Recorder) -> None:
    client = new_client(live, recorder)
    with pytest.raises(CtlError, match="not logged in"):
        client.list(checks_path("default"))
    assert recorder.seen == []


def test_server_errors_carry_message_and_status(
    live: LiveServer, recorder: Recorder, unique: Unique
) -> None:
    client = logged_in(live, recorder)
    with pytest.raises(CtlError) as missing:
        client.get(f"{checks_path('default')}/{unique('missing')}")
    assert missing.value.status == 404 and missing.value.message

    name = unique("bad")
    with pytest.raises(CtlError) as invalid:
        client.put(f"{checks_path('default')}/{name}", {"metadata": {"name": name}, "interval": 0})
    assert invalid.value.status == 400 and invalid.value.message

    namespace = unique("dup")
    client.post("/api/core/v2/namespaces", {"name": namespace})
    with pytest.raises(CtlError) as conflict:
        client.post("/api/core/v2/namespaces", {"name": namespace})
    assert conflict.value.status == 409 and conflict.value.message


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
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client = ApiClient(CtlConfig(url=url))
    with pytest.raises(CtlError, match=rf"^cannot reach the API at {url}: "):
        client.login(ADMIN, PASSWORD)
