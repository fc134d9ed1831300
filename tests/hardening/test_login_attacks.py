"""Login attacks against the real server: username sprays, forged forwarding headers, guesses
spread over many clients, and a flood of bcrypt work. Clients get distinct loopback addresses
(127.0.0.x) by binding their source address."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support import ADMIN, PASSWORD, LiveServer
from vigil.auth import passwords
from vigil.settings import Settings

LIMITS = {
    "login_max_failures": 3,
    "login_client_max_failures": 5,
    "login_user_max_failures": 6,
    "login_user_lockout": 60.0,
    "login_lockout": 60.0,
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    state = str(tmp_path_factory.mktemp("state"))
    live = LiveServer(Settings(state_dir=state, **LIMITS)).start()  # type: ignore[arg-type]
    yield live
    live.stop()


def login(server: LiveServer, source: str, username: str, password: str, **headers: str) -> int:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=30) as client:
        response = client.get(f"{server.url}/auth", auth=(username, password), headers=headers)
        return response.status_code


def test_username_spray_from_one_client_is_stopped(server: LiveServer) -> None:
    source = "127.0.0.11"
    codes = [login(server, source, f"spray{n}", "wrong-password") for n in range(8)]
    assert codes[:5] == [401] * 5
    assert set(codes[5:]) == {429}
    assert login(server, source, ADMIN, PASSWORD) == 429  # the whole client is paused
    assert login(server, "127.0.0.12", ADMIN, PASSWORD) == 200  # others are not


def test_forged_forwarding_headers_do_not_rotate_the_identity(server: LiveServer) -> None:
    source = "127.0.0.13"
    codes = [
        login(server, source, f"xff{n}", "wrong-password", **{"X-Forwarded-For": f"10.0.0.{n}"})
        for n in range(8)
    ]
    assert set(codes[5:]) == {429}


def test_guesses_spread_over_clients_spare_the_users_own_client(server: LiveServer) -> None:
    assert login(server, "127.0.0.20", ADMIN, PASSWORD) == 200  # the admin's usual client
    for n in range(6):
        assert login(server, f"127.0.1.{n + 1}", ADMIN, "wrong-password") == 401
    assert login(server, "127.0.2.1", ADMIN, PASSWORD) == 429  # an unknown client waits
    assert login(server, "127.0.0.20", ADMIN, PASSWORD) == 200  # the real user gets in


def test_too_many_waiting_password_checks_get_429(server: LiveServer) -> None:
    taken = 0
    try:
        while passwords._slots.acquire(blocking=False):  # every slot busy, as in a flood
            taken += 1
        assert login(server, "127.0.0.30", "someone", "password1") == 429
    finally:
        for _ in range(taken):
            passwords._slots.release()
    assert login(server, "127.0.0.30", "someone", "password1") == 401


def test_trusted_proxy_forwarding_headers_name_the_client(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    state = str(tmp_path_factory.mktemp("proxied"))
    settings = Settings(state_dir=state, trusted_proxies="127.0.0.40", **LIMITS)  # type: ignore[arg-type]
    live = LiveServer(settings).start()
    try:
        for n in range(8):
            login(live, "127.0.0.40", f"p{n}", "wrong-password", **{"X-Forwarded-For": "10.1.1.1"})
        forwarded = {"X-Forwarded-For": "10.1.1.1"}
        assert login(live, "127.0.0.40", ADMIN, PASSWORD, **forwarded) == 429
        assert login(live, "127.0.0.40", ADMIN, PASSWORD, **{"X-Forwarded-For": "10.2.2.2"}) == 200
        # An untrusted peer's header is ignored: it is judged by its own address.
        assert login(live, "127.0.0.41", ADMIN, PASSWORD, **forwarded) == 200
    finally:
        live.stop()
