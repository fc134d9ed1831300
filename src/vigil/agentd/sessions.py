"""The agents connected to this backend: one ``Session`` per websocket, and the registry
the scheduler sees through ``AgentSessions``.

A session's outgoing frames wait in a bounded queue drained by one sender task; when the
queue is full the frame is dropped (counted, logged), so a stalled agent holds neither
memory nor the scheduler. Entity changes (``notices``) push a new ``entity_config`` and
re-diff the session's subscriptions; deleting the entity ends the session, as in Sensu.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import msgspec
from starlette.websockets import WebSocket, WebSocketDisconnect

from vigil.agentd import wire
from vigil.agentd.intake import Intake
from vigil.agentd.notices import EntityNotices
from vigil.errors import InvalidArgument, VigilError
from vigil.metrics import Metrics
from vigil.pipeline.eventd import entity_put
from vigil.store.base import Store

log = logging.getLogger("vigil.agentd")

GOING_AWAY = 1001  # what Sensu's transport sends when it closes a session
INTERNAL_ERROR = 1011


_LABELS = frozenset(
    (wire.KEEPALIVE, wire.EVENT, wire.CHECK_REQUEST, wire.ENTITY_CONFIG, "text", "invalid")
)


def _label(message_type: str) -> str:
    """Metric label of a message type: agents choose types, so unknown ones share one."""
    return message_type if message_type in _LABELS else "other"


class Link(Protocol):
    """The websocket side a session needs (Starlette's ``WebSocket`` in production)."""

    async def send_bytes(self, data: bytes) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class Session:
    """One connected agent."""

    def __init__(
        self,
        namespace: str,
        agent: str,
        user: str,
        subscriptions: Sequence[str],
        link: Link,
        queue_size: int,
    ) -> None:
        self.namespace = namespace
        self.agent = agent
        self.user = user
        self.requested = tuple(s for s in subscriptions if s)  # from the handshake headers
        self.subscriptions: frozenset[str] = frozenset()  # those indexed in the registry
        self.link = link
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=max(queue_size, 1))
        self.digest = ""  # of the entity config last sent ("" = none stored)
        self.registered = ""  # the agent state its last keepalive registered (intake)
        self.refreshing = asyncio.Lock()
        self.ended = False
        self._sender: asyncio.Task[None] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.namespace, self.agent

    def offer(self, frame: bytes) -> bool:
        if self.ended:
            return False
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            return False
        return True

    def start_sender(self) -> None:
        self._sender = asyncio.create_task(self._send_loop())

    async def _send_loop(self) -> None:
        while True:
            frame = await self.queue.get()
            try:
                await self.link.send_bytes(frame)
            except Exception:  # the connection is gone; the receive side ends the session
                return

    async def end(self, reason: str) -> None:
        """Close the websocket (the receive loop then sees the disconnect)."""
        if self.ended:
            return
        self.ended = True
        await self.stop_sender()
        with contextlib.suppress(Exception):
            await self.link.close(GOING_AWAY, reason)

    async def stop_sender(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._sender


class AgentRegistry:
    """Implements ``vigil.agentd.delivery.AgentSessions`` for the agents connected here."""

    def __init__(
        self, store: Store, notices: EntityNotices, intake: Intake, metrics: Metrics
    ) -> None:
        self.store = store
        self.notices = notices
        self.intake = intake
        self.metrics = metrics
        self._sessions: dict[tuple[str, str], Session] = {}
        self._subscribers: dict[tuple[str, str], set[str]] = {}
        self._callbacks: list[Callable[[str], None]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        notices.watch(self._entity_changed)

    # --- AgentSessions ----------------------------------------------------------------------
    def subscribed(self, namespace: str, subscription: str) -> Sequence[str]:
        return sorted(self._subscribers.get((namespace, subscription), ()))

    def send(self, namespace: str, agent: str, message_type: str, payload: bytes) -> bool:
        session = self._sessions.get((namespace, agent))
        if session is None:
            return False
        return self._offer(session, message_type, payload)

    def on_change(self, callback: Callable[[str], None]) -> None:
        self._callbacks.append(callback)

    # --- what the listener and tests use ------------------------------------------------------
    def session(self, namespace: str, agent: str) -> Session | None:
        return self._sessions.get((namespace, agent))

    def __len__(self) -> int:
        return len(self._sessions)

    async def run(self, session: Session, websocket: WebSocket) -> None:
        """Serve one accepted websocket until it closes."""
        await self.notices.start()
        previous = self._sessions.get(session.key)
        if previous is not None:
            await previous.end("replaced by a new connection")
            self._drop(previous)
        self._sessions[session.key] = session
        self.metrics.agent_sessions.inc()
        log.info(
            "agent connected",
            extra={"agent": session.agent, "namespace": session.namespace},
        )
        try:
            try:
                await self.refresh(session, initial=True)
            except Exception:
                log.exception(
                    "cannot start the agent session",
                    extra={"agent": session.agent, "namespace": session.namespace},
                )
                await websocket.close(INTERNAL_ERROR, "internal error")
                return
            session.start_sender()
            await self._receive_loop(session, websocket)
        finally:
            session.ended = True
            await session.stop_sender()
            self._drop(session)
            self.metrics.agent_sessions.dec()
            log.info(
                "agent disconnected",
                extra={"agent": session.agent, "namespace": session.namespace},
            )

    async def _receive_loop(self, session: Session, websocket: WebSocket) -> None:
        while True:
            try:
                message = await websocket.receive()
            except (WebSocketDisconnect, RuntimeError):
                return
            if message["type"] == "websocket.disconnect":
                return
            frame = message.get("bytes")
            if frame is None:  # a text frame: Sensu's transport only sends binary ones
                text = message.get("text") or ""
                self._rejected(session, "text", "a text frame", text.encode()[:200])
                continue
            await self._handle(session, frame)

    async def _handle(self, session: Session, frame: bytes) -> None:
        try:
            message_type, payload = wire.decode(frame)
        except InvalidArgument as exc:
            self._rejected(session, "invalid", exc.message, frame[:200])
            return
        self.metrics.agent_messages_received.labels(_label(message_type)).inc()
        try:
            if message_type == wire.KEEPALIVE:
                session.registered = await self.intake.keepalive(
                    payload, session.namespace, session.agent, session.registered
                )
            elif message_type == wire.EVENT:
                await self.intake.event(payload, session.namespace, session.agent)
            else:
                raise InvalidArgument(f"unknown message type {message_type!r}")
        except VigilError as exc:
            self._rejected(session, message_type, exc.message, payload[:200])
        except Exception:
            self.metrics.agent_messages_rejected.labels(_label(message_type)).inc()
            log.exception(
                "error handling message",
                extra={"agent": session.agent, "namespace": session.namespace},
            )

    def _rejected(self, session: Session, kind: str, reason: str, sample: bytes) -> None:
        self.metrics.agent_messages_rejected.labels(_label(kind)).inc()
        log.warning(
            "error handling message",
            extra={
                "agent": session.agent,
                "namespace": session.namespace,
                "type": kind,
                "error": reason,
                "payload": sample.decode(errors="replace"),
            },
        )

    def _offer(self, session: Session, message_type: str, payload: bytes) -> bool:
        if session.offer(wire.encode(message_type, payload)):
            return True
        if not session.ended:
            self.metrics.agent_messages_dropped.labels(_label(message_type)).inc()
            log.warning(
                "agent send queue full, message dropped",
                extra={
                    "agent": session.agent,
                    "namespace": session.namespace,
                    "type": message_type,
                },
            )
        return False

    def _drop(self, session: Session) -> None:
        if self._sessions.get(session.key) is session:
            del self._sessions[session.key]
            self._set_subscriptions(session, frozenset())

    def _set_subscriptions(self, session: Session, subscriptions: frozenset[str]) -> None:
        """Index ``subscriptions`` for ``session``; tell the callbacks when they changed."""
        old = session.subscriptions
        for sub in old - subscriptions:
            names = self._subscribers.get((session.namespace, sub))
            if names is not None:
                names.discard(session.agent)
                if not names:
                    del self._subscribers[(session.namespace, sub)]
        for sub in subscriptions - old:
            self._subscribers.setdefault((session.namespace, sub), set()).add(session.agent)
        session.subscriptions = subscriptions
        if old != subscriptions:
            self._changed(session.namespace)

    def _changed(self, namespace: str) -> None:
        for callback in self._callbacks:
            try:
                callback(namespace)
            except Exception:
                log.exception("agent change callback failed")

    # --- entity config ----------------------------------------------------------------------
    async def refresh(self, session: Session, *, initial: bool = False) -> None:
        """Send the entity config (or "not found") and take its subscriptions."""
        async with session.refreshing:
            record = await self.store.get("entities", session.namespace, session.agent)
            if record is None:
                if not initial:
                    return
                config = wire.not_found_config(session.namespace)
                subscriptions = {*session.requested, f"entity:{session.agent}"}
                session.digest = ""
            else:
                entity: dict[str, Any] = msgspec.json.decode(record.value)
                if entity.get("entity_class") != wire.AGENT_CLASS:
                    await self._make_agent(session, entity, record.revision)
                    if not initial:
                        return
                    entity["entity_class"] = wire.AGENT_CLASS
                config = wire.entity_config(entity)
                session.digest = wire.digest(config)
                if initial:
                    config = wire.without_managed_label(config)
                subscriptions = set(entity.get("subscriptions") or [])
            self._offer(session, wire.ENTITY_CONFIG, wire.dumps(config))
            if self._sessions.get(session.key) is session:
                self._set_subscriptions(session, frozenset(s for s in subscriptions if s))

    async def _make_agent(self, session: Session, entity: dict[str, Any], revision: int) -> None:
        """An agent's entity is always of class ``agent``: a stored one is rewritten."""
        log.warning(
            "misconfigured entity class, updating entity to be an agent",
            extra={"agent": session.agent, "namespace": session.namespace},
        )
        fixed = dict(entity, entity_class=wire.AGENT_CLASS)
        with contextlib.suppress(VigilError):
            await self.store.apply([entity_put(session.namespace, fixed, revision)])

    def _entity_changed(self, namespace: str, name: str, digest: str) -> None:
        session = self._sessions.get((namespace, name))
        if session is None or session.ended:
            return
        if not digest:
            self._spawn(session.end("entity deleted"))
        elif digest != session.digest:
            self._spawn(self.refresh(session))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """End every session (shutdown)."""
        for session in list(self._sessions.values()):
            await session.end("backend shutting down")
