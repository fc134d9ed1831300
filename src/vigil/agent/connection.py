"""The agent side of the websocket transport: handshake, framing, back-off.

The handshake carries sensu-agent's headers and asks for JSON (``Accept: application/json``),
which both Vigil and a stock Sensu backend honour. Each message is one binary frame,
``<type>\\n<payload>``. Reconnects back off exponentially; a 429 from the backend doubles the
minimum, the maximum and the multiplier, as sensu-agent does. Heartbeats are websocket pings.
"""

from __future__ import annotations

import base64
import random
import ssl
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from vigil.agent.config import AgentConfig

JSON = "application/json"
MAX_MESSAGE = 16 * 1024 * 1024


class HandshakeRefused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"backend refused the connection: HTTP {status}")
        self.status = status


@dataclass
class Backoff:
    """sensu's ExponentialBackoff: ``minimum * multiplier**n``, capped at ``maximum``."""

    minimum: float
    maximum: float
    multiplier: float
    attempt: int = 0
    overloaded: bool = False

    def next_delay(self, *, too_many_requests: bool = False) -> float:
        if too_many_requests != self.overloaded:
            self.overloaded, self.attempt = too_many_requests, 0
        factor = 2.0 if self.overloaded else 1.0
        lo, hi = self.minimum * factor, self.maximum * factor
        mult = self.multiplier * factor
        delay = min(hi, lo * mult**self.attempt)
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt, self.overloaded = 0, False


class BackendSelector:
    """A random order of the backend URLs, then round robin, as sensu-agent."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = random.sample(urls, len(urls))
        self.index = 0

    def select(self) -> str:
        url = self.urls[self.index % len(self.urls)]
        self.index += 1
        return url


def handshake_headers(config: AgentConfig, subscriptions: list[str]) -> dict[str, str]:
    """sensu-agent's headers; with a client certificate, no password is sent (as Sensu)."""
    headers = {"Sensu-Namespace": config.namespace, "Sensu-AgentName": config.name}
    if not (config.cert_file or config.key_file):
        credentials = base64.b64encode(f"{config.user}:{config.password}".encode()).decode()
        headers["Sensu-User"] = config.user
        headers["Authorization"] = f"Basic {credentials}"
    headers["Sensu-Subscriptions"] = ",".join(subscriptions)
    headers["Accept"] = JSON
    return headers


def tls_context(config: AgentConfig) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=config.trusted_ca_file or None)
    if config.insecure_skip_tls_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if config.cert_file:
        context.load_cert_chain(config.cert_file, config.key_file or None)
    return context


async def open_session(
    url: str, config: AgentConfig, subscriptions: list[str]
) -> tuple[ClientConnection, str]:
    """One connected websocket and the backend's ``Backend-ID``; raises HandshakeRefused on
    an HTTP refusal, OSError/TimeoutError when unreachable."""
    try:
        ws = await connect(
            url,
            additional_headers=handshake_headers(config, subscriptions),
            open_timeout=config.backend_handshake_timeout,
            ping_interval=config.backend_heartbeat_interval,
            ping_timeout=config.backend_heartbeat_timeout,
            max_size=MAX_MESSAGE,
            compression=None,
            user_agent_header=None,
            ssl=tls_context(config) if url.startswith("wss://") else None,
        )
    except InvalidStatus as exc:
        raise HandshakeRefused(exc.response.status_code) from exc
    assert ws.response is not None
    content_type = ws.response.headers.get("Content-Type", JSON)
    if content_type.startswith("application/octet-stream"):
        await ws.close()
        raise HandshakeRefused(415)
    return ws, ws.response.headers.get("Backend-ID", "")


def frame(message_type: str, payload: bytes) -> bytes:
    return message_type.encode() + b"\n" + payload


def unframe(data: bytes | str) -> tuple[str, bytes]:
    raw = data.encode() if isinstance(data, str) else data
    message_type, _, payload = raw.partition(b"\n")
    return message_type.decode(errors="replace"), payload
