"""Handlers: ``pipe`` (a command fed the payload on stdin), ``tcp`` and ``udp`` sockets.

``set`` handlers are never run: the runner expands them into their members first. The
handler types are a plain mapping the ``StoredHandler`` adapter dispatches on, so another
type is one more entry. Commands run through ``commands.run_command`` (Sensu's command
semantics, shared with pipe mutators).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from vigil.model.pipeline import Handler
from vigil.pipeline.adapters import (
    AdapterRegistry,
    Event,
    HandlerError,
    HandlerResult,
    Ref,
    RunContext,
)
from vigil.pipeline.commands import CommandResult as CommandResult
from vigil.pipeline.commands import run_command as run_command

HANDLER = "Handler"
SOCKET_TIMEOUT = 60.0  # seconds, Sensu's default for tcp/udp handlers
LOGGED_OUTPUT = 2048  # characters of command output kept in a log line

HandlerFunc = Callable[[str, Mapping[str, Any], bytes, RunContext], Awaitable[HandlerResult]]


def _clip(output: bytes) -> str:
    text = output.decode(errors="replace")
    return text if len(text) <= LOGGED_OUTPUT else text[:LOGGED_OUTPUT] + "..."


# --- handler types --------------------------------------------------------------------------


async def handle_pipe(
    name: str, handler: Mapping[str, Any], payload: bytes, ctx: RunContext
) -> HandlerResult:
    command = str(handler.get("command") or "")
    if not command.strip():
        raise HandlerError(f"pipe handler {name!r} has no command", "pipe")
    try:
        result = await run_command(
            command,
            payload,
            env_vars=handler.get("env_vars") or (),
            timeout=float(handler.get("timeout") or 0),
            policy=ctx.commands,
        )
    except OSError as exc:
        raise HandlerError(f"failed to execute event pipe handler {name!r}: {exc}", "pipe") from exc
    if result.status == 0:
        ctx.log.info(
            "event pipe handler executed: handler=%s status=0 output=%r", name, _clip(result.output)
        )
        return HandlerResult("pipe", True)
    ctx.log.error(
        "event pipe handler returned non ok status code: handler=%s status=%d output=%r",
        name,
        result.status,
        _clip(result.output),
    )
    return HandlerResult("pipe", False)


async def handle_socket(
    name: str, handler: Mapping[str, Any], payload: bytes, ctx: RunContext
) -> HandlerResult:
    kind = str(handler.get("type"))
    address = handler.get("socket") or {}
    host = str(address.get("host") or "")
    port = int(address.get("port") or 0)
    timeout = float(handler.get("timeout") or 0) or SOCKET_TIMEOUT
    if not host or not port:
        raise HandlerError(f"{kind} handler {name!r} needs socket host and port", kind)
    send = _send_tcp if kind == "tcp" else _send_udp
    try:
        await asyncio.wait_for(send(host, port, payload), timeout)
    except (OSError, TimeoutError) as exc:
        reason = str(exc) or type(exc).__name__
        raise HandlerError(f"{kind} handler {name!r} to {host}:{port}: {reason}", kind) from exc
    ctx.log.info(
        "event socket handler executed: handler=%s %s %s:%d bytes=%d",
        name,
        kind,
        host,
        port,
        len(payload),
    )
    return HandlerResult(kind, True)


async def _send_tcp(host: str, port: int, payload: bytes) -> None:
    _, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(payload)
        await writer.drain()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _send_udp(host: str, port: int, payload: bytes) -> None:
    loop = asyncio.get_running_loop()
    family, kind, proto, _, address = (await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM))[
        0
    ]
    with socket.socket(family, kind, proto) as sock:
        sock.setblocking(False)
        await loop.sock_connect(sock, address)
        await loop.sock_sendall(sock, payload)


HANDLER_TYPES: Mapping[str, HandlerFunc] = {
    "pipe": handle_pipe,
    "tcp": handle_socket,
    "udp": handle_socket,
}


class StoredHandler:
    """A ``core/v2 Handler`` from the store, dispatched on its ``type``."""

    def __init__(self, types: Mapping[str, HandlerFunc] = HANDLER_TYPES) -> None:
        self.types = dict(types)

    def can_run(self, ref: Ref) -> bool:
        return ref.is_core(HANDLER)

    async def run(self, ref: Ref, event: Event, payload: bytes, ctx: RunContext) -> HandlerResult:
        handler = ref.resource or await ctx.fetch(Handler.PLURAL, ref.name)
        if handler is None:
            ctx.log.error("handler not found, skipping handler execution: handler=%s", ref.name)
            return HandlerResult("unknown", False)
        kind = str(handler.get("type") or "")
        run = self.types.get(kind)
        if run is None:
            if kind == "set":
                raise HandlerError(f"handler set {ref.name!r} cannot be run directly", kind)
            raise HandlerError(f"unknown handler type: {kind!r} (handler {ref.name!r})", kind)
        return await run(ref.name, handler, payload, ctx)


def register(registry: AdapterRegistry) -> None:
    registry.add_handler(StoredHandler())
