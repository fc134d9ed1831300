"""Slow, idle and greedy clients cannot hold the server: real sockets against the real
listener configuration (``vigil.listener.uvicorn_config``), with short limits."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support import LiveServer, token_for, wait_for
from vigil.settings import Settings

LIMITS = {
    "max_connections": 12,
    "max_header_bytes": 4096,
    "http_idle_timeout": 1,
    "http_header_timeout": 1.5,
    "http_body_timeout": 1.0,
}
BOUND = 15.0  # seconds a socket waits for the server; reached only when something is broken


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    state = tmp_path_factory.mktemp("state")
    live = LiveServer(Settings(state_dir=str(state), **LIMITS)).start()  # type: ignore[arg-type]
    yield live
    live.stop()


def _connect(server: LiveServer) -> socket.socket:
    sock = socket.create_connection((server.settings.host, server.settings.port))
    sock.settimeout(BOUND)
    return sock


def _until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_connection_that_never_sends_a_request_is_closed(server: LiveServer) -> None:
    with _connect(server) as sock:
        assert _until_closed(sock).startswith(b"HTTP/1.1 408")


def test_slow_headers_are_cut_off(server: LiveServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        assert _until_closed(sock).startswith(b"HTTP/1.1 408")


def test_slow_body_is_cut_off_and_is_not_a_server_error(server: LiveServer) -> None:
    token = token_for(server.url).encode()
    with _connect(server) as sock:
        sock.sendall(
            b"POST /api/core/v2/namespaces/default/checks HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer " + token + b"\r\n"
            b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"metadata":'
        )
        assert _until_closed(sock) == b""
    metrics = wait_for(lambda: _metrics_with(server, 'status="499"'))
    assert 'status="5' not in metrics


def _metrics_with(server: LiveServer, text: str) -> str | None:
    body = httpx.get(f"{server.url}/metrics").text
    return body if text in body else None


def test_oversized_headers_get_431(server: LiveServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-Filler: a\r\n" * 800)
        assert _until_closed(sock).startswith(b"HTTP/1.1 431")


def test_idle_keep_alive_connection_is_closed(server: LiveServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _until_closed(sock).startswith(b"HTTP/1.1 200")


def test_a_connection_in_steady_use_outlives_every_limit(server: LiveServer) -> None:
    """Deadlines move with each request: requests 0.6 s apart, for longer than the idle,
    header and body limits, are all answered on one connection."""
    with _connect(server) as sock:
        for _ in range(5):
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            received = b""
            while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
                chunk = sock.recv(65536)
                assert chunk, "closed while in use"
                received += chunk
            assert received.startswith(b"HTTP/1.1 200")
            time.sleep(0.6)
        assert _until_closed(sock) == b""  # then, idle, it is closed


def test_over_the_cap_new_connections_get_503_and_the_others_are_served(
    server: LiveServer,
) -> None:
    held = [_connect(server) for _ in range(LIMITS["max_connections"])]
    try:
        # The listener accepts in arrival order: the held ones are counted before this one.
        with _connect(server) as extra:
            assert _until_closed(extra).startswith(b"HTTP/1.1 503")
        held[0].sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert _until_closed(held[0]).startswith(b"HTTP/1.1 200")
    finally:
        for sock in held:
            sock.close()
    # Once they are gone, new clients are served again.
    wait_for(lambda: httpx.get(f"{server.url}/health").status_code == 200)
