"""The HTTP protocol every listener uses: uvicorn's httptools protocol plus the limits it lacks.

uvicorn alone leaves a connection that never sends a complete request open forever (its
keep-alive timer starts only after a first response), reads headers of any size, waits on a
trickled body without end, and checks its concurrency limit only once headers are complete.
So a few thousand idle sockets could hold the server. Here, per connection:

- headers (of the first request, and of each later one) must be complete within
  ``header_timeout`` seconds, or the connection gets ``408`` and is closed;
- headers larger than ``max_header_bytes`` get ``431`` and the connection is closed;
- a body must be complete within ``body_timeout`` seconds of its headers, or the connection is
  closed (the app sees a disconnect, counted as 499, never a 5xx);
- beyond ``max_connections`` open connections a new one gets ``503`` and is closed at once,
  before it can cost anything; the connections already open are served as usual.

Idle keep-alive connections are closed by uvicorn's own ``timeout_keep_alive``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from vigil.settings import Settings

log = logging.getLogger("vigil.listener")


@dataclass(frozen=True, slots=True)
class Limits:
    max_connections: int = 1000
    max_header_bytes: int = 65536
    header_timeout: float = 10.0
    body_timeout: float = 15.0


def _reply(status: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"content-length: 0\r\nconnection: close\r\n\r\n"
    )


# A timer may fire this much before its deadline (loop clocks tick in milliseconds).
_EARLY = 0.001
BUSY = _reply(b"503 Service Unavailable")
SLOW = _reply(b"408 Request Timeout")
TOO_LARGE = _reply(b"431 Request Header Fields Too Large")


class LimitedHttpProtocol(HttpToolsProtocol):
    """Subclassed per listener by ``protocol_for`` with its ``limits``."""

    limits: ClassVar[Limits] = Limits()
    open_connections: ClassVar[set[LimitedHttpProtocol]]  # this listener's, set per subclass

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._due: float | None = None  # loop time of the current deadline, if any
        self._due_reply: bytes | None = None
        self._idle_due: float | None = None  # keep-alive: when an idle connection is closed
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._header_bytes = 0
        self._reading_headers = True
        self._finished_one = False
        self._counted = False
        if len(self.open_connections) >= self.limits.max_connections:
            log.warning("connection refused: %d connections open", len(self.open_connections))
            transport.write(BUSY)
            transport.close()
            return
        self.open_connections.add(self)
        self._counted = True
        super().connection_made(transport)
        self._arm(self.limits.header_timeout, SLOW)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._counted:
            return
        self.open_connections.discard(self)
        self._stop_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._idle_due = None
        if self._reading_headers and self._due is None:
            self._arm(self.limits.header_timeout, SLOW)  # a later request on this connection
        self._finished_one = False
        super().data_received(data)
        # Bytes of a chunk that finished a request belong mostly to that request: not counted.
        if self._reading_headers and not self._finished_one and not self.transport.is_closing():
            self._header_bytes += len(data)
            if self._header_bytes > self.limits.max_header_bytes:
                self._refuse(TOO_LARGE)

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        self._header_bytes = 0
        self._disarm()
        super().on_headers_complete()
        if not self.parser.should_upgrade():
            self._arm(self.limits.body_timeout, None)

    def on_message_complete(self) -> None:
        self._disarm()
        self._reading_headers = True
        self._finished_one = True
        super().on_message_complete()

    def on_response_complete(self) -> None:
        """uvicorn's (0.54), except that its keep-alive timer, new for every response, is a
        deadline of this connection (same limit, ``timeout_keep_alive``, same close)."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        else:
            self._idle_due = self.loop.time() + self.timeout_keep_alive
            self._wake_by(self._idle_due)

    def handle_websocket_upgrade(self) -> None:
        self._stop_timer()  # the websocket protocol takes the connection over, with its own pings
        self.open_connections.discard(self)
        self._counted = False
        super().handle_websocket_upgrade()

    # --- deadlines ------------------------------------------------------------------------
    # Deadlines are set and cleared several times per request; each is an attribute write.
    # The one timer behind them is only moved when a deadline falls before it, and when it
    # fires early (the deadline was moved on) it sleeps again until the next one.

    def _arm(self, seconds: float, reply: bytes | None) -> None:
        if seconds <= 0:
            self._due = None
            return
        due = self.loop.time() + seconds
        self._due, self._due_reply = due, reply
        self._wake_by(due)

    def _disarm(self) -> None:
        self._due = None

    def _wake_by(self, due: float) -> None:
        if self._timer is None or self._timer_at > due:
            if self._timer is not None:
                self._timer.cancel()
            self._timer, self._timer_at = self.loop.call_at(due, self._check), due

    def _stop_timer(self) -> None:
        self._due = self._idle_due = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _check(self) -> None:
        self._timer = None
        now = self.loop.time() + _EARLY
        if self._idle_due is not None and self._idle_due <= now:
            self._idle_due = None
            if not self.transport.is_closing():
                self.transport.close()  # idle keep-alive connection, as uvicorn closes it
            return
        if self._due is not None and self._due <= now:
            self._due = None
            self._expired(self._due_reply)
            return
        pending = [d for d in (self._due, self._idle_due) if d is not None]
        if pending:
            self._wake_by(min(pending))

    def _expired(self, reply: bytes | None) -> None:
        if self.transport.is_closing():
            return
        if reply is not None and (self.cycle is None or self.cycle.response_complete):
            self._refuse(reply)
        else:  # mid-body: the app sees a disconnect; nothing sane can be answered now
            self.transport.close()

    def _refuse(self, reply: bytes) -> None:
        self._stop_timer()
        self.transport.write(reply)
        self.transport.close()


def protocol_for(limits: Limits) -> type[LimitedHttpProtocol]:
    """A protocol class of its own for one listener: its limits and its connection count."""
    attrs: dict[str, Any] = {"limits": limits, "open_connections": set()}
    return type("ListenerProtocol", (LimitedHttpProtocol,), attrs)


def uvicorn_config(
    app: ASGIApp, host: str, port: int, settings: Settings, **options: Any
) -> uvicorn.Config:
    """The one uvicorn configuration of every listener (API, agent port, ...): connection cap,
    header size cap, idle/header/body timeouts (``vigil.listener``), and forwarding headers
    trusted only from ``--trusted-proxies``. ``options`` add to or override it."""
    limits = Limits(
        max_connections=settings.max_connections,
        max_header_bytes=settings.max_header_bytes,
        header_timeout=settings.http_header_timeout,
        body_timeout=settings.http_body_timeout,
    )
    trusted = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    base: dict[str, Any] = {
        "host": host,
        "port": port,
        "loop": "none",
        "http": protocol_for(limits),
        "log_config": None,
        "access_log": False,
        "lifespan": "on",
        "timeout_graceful_shutdown": 10,
        "timeout_keep_alive": settings.http_idle_timeout,
        "server_header": False,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or "",
    }
    return uvicorn.Config(app, **{**base, **options})
