"""A peer that stops answering pings loses its session."""

from __future__ import annotations

import base64
import os
import socket
import time
from collections.abc import Callable

from tests.agentd.stock_agent import AgentConfig, StockAgent
from tests.support import LiveServer, wait_for

LIVE_SETTINGS = {"agent_ping_interval": 0.2, "agent_ping_timeout": 0.3}


def _upgrade(live: LiveServer, name: str) -> socket.socket:
    """A websocket handshake by hand; the socket then never answers anything."""
    port = int(live.agent_url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    headers = StockAgent(live.agent_url, AgentConfig(name)).request_headers()
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET / HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "User-Agent: Go-http-client/1.1",
        "Connection: Upgrade",
        "Upgrade: websocket",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(f"{k}: {v}" for k, v in headers),
    ]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


def test_silent_peer_is_dropped(live: LiveServer, unique: Callable[[str], str]) -> None:
    name = unique("silent")
    registry = live.app.state.vigil.agents
    sock = _upgrade(live, name)
    try:
        wait_for(lambda: registry.session("default", name) is not None)
        received = b""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:  # pings (0x89) arrive, then the server gives up
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
        assert b"\x89" in received  # at least one ping was sent
        wait_for(lambda: registry.session("default", name) is None)
    finally:
        sock.close()
