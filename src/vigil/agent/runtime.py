"""The running agent: one connection at a time, keepalives, check requests, the outbox.

Order on every connection, as sensu-agent: sequences restart, check requests are ignored until
the backend's ``entity_config`` arrives (or 10 s pass), then the first keepalive goes out and
keepalives follow every interval. Events never go straight to the socket: they are written to
the outbox and a sender drains it while connected, so nothing is lost while the backend is away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from vigil.agent.assets import AssetManager
from vigil.agent.config import AgentConfig
from vigil.agent.connection import (
    BackendSelector,
    Backoff,
    HandshakeRefused,
    frame,
    open_session,
    unframe,
)
from vigil.agent.entity import AgentEntity
from vigil.agent.execution import CheckRequestRefused, CheckRunner, Sequences
from vigil.agent.outbox import API_EVENT, Outbox
from vigil.agent.ratelimit import TokenBucket
from vigil.allowlist import load_allow_list

log = logging.getLogger("vigil.agent")

ENTITY_CONFIG_GRACE = 10.0
SYSTEM_REFRESH = 20.0
OUTBOX_BATCH = 100


class Agent:
    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        cache = Path(config.cache_dir)
        self.entity = AgentEntity(config)
        self.sequences = Sequences()
        self.outbox = Outbox(cache / "outbox.db", config.outbox_max_events)
        self.assets = (
            None
            if config.disable_assets
            else AssetManager(
                cache / "assets",
                config.trusted_ca_file,
                # as sensu-agent: a rate of 0 means the default rate, not "no limit"
                TokenBucket(config.assets_rate_limit or 1.39, config.assets_burst_limit),
            )
        )
        self.runner = CheckRunner(
            agent_name=config.name,
            namespace=config.namespace,
            entity=self.entity.current,
            send=self.send,
            sequences=self.sequences,
            assets=self.assets,
            allow_list=load_allow_list(config.allow_list) if config.allow_list else (),
        )
        self.connected = asyncio.Event()
        self.backend_id = ""
        self._pending = asyncio.Event()
        self._config_received = asyncio.Event()
        self._accept_checks = False
        self.events_limiter = TokenBucket(config.events_rate_limit, config.events_burst_limit)
        self.stats = {"connections": 0, "messages_sent": 0, "messages_received": 0}

    # --- events in ------------------------------------------------------------------------
    def send(self, message_type: str, event: dict[str, Any]) -> None:
        """Queue an event for the backend (durably); callable from the event loop only."""
        self.outbox.put(message_type, orjson.dumps(event))
        self._pending.set()

    # --- keepalives -----------------------------------------------------------------------
    def keepalive(self) -> dict[str, Any]:
        c = self.config
        entity = self.entity.current()
        event: dict[str, Any] = {
            "metadata": {"namespace": entity["metadata"].get("namespace", c.namespace)},
            "id": str(uuid.uuid4()),
            "sequence": self.sequences.next("keepalive"),
            "check": {
                "metadata": {"name": "keepalive", "namespace": c.namespace},
                "interval": c.keepalive_interval,
                "timeout": c.keepalive_warning_timeout,
                "ttl": c.keepalive_critical_timeout,
            },
            "entity": entity,
            "timestamp": int(time.time()),
        }
        if c.keepalive_check_labels:
            event["metadata"]["labels"] = dict(c.keepalive_check_labels)
        if c.keepalive_check_annotations:
            event["metadata"]["annotations"] = dict(c.keepalive_check_annotations)
        if c.keepalive_pipelines:
            refs = [_pipeline_ref(p) for p in c.keepalive_pipelines]
            event["pipelines"] = [ref for ref in refs if ref is not None]
        return event

    # --- the connection manager -----------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        backoff = Backoff(
            self.config.retry_min, self.config.retry_max, self.config.retry_multiplier
        )
        selector = BackendSelector(list(self.config.backend_url))
        refresher = asyncio.create_task(self._refresh_system(stop))
        try:
            while not stop.is_set():
                url = selector.select()
                try:
                    ws, self.backend_id = await open_session(
                        url, self.config, self.entity.subscriptions()
                    )
                except HandshakeRefused as exc:
                    delay = backoff.next_delay(too_many_requests=exc.status == 429)
                    log.error("reconnection attempt to %s failed: %s", url, exc)
                except (OSError, TimeoutError) as exc:
                    delay = backoff.next_delay()
                    log.error("reconnection attempt to %s failed: %s", url, exc)
                except Exception as exc:  # a bad handshake answer: retry like any failure
                    delay = backoff.next_delay()
                    log.error("reconnection attempt to %s failed: %r", url, exc)
                else:
                    backoff.reset()
                    log.info("connected to backend %s (%s)", url, self.backend_id or "?")
                    await self._session(ws, stop)
                    continue
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
        finally:
            refresher.cancel()
            await self.runner.drain()

    async def _session(self, ws: ClientConnection, stop: asyncio.Event) -> None:
        self.stats["connections"] += 1
        self.sequences.reset()
        self.entity.forget_remote()
        self._accept_checks = False
        self._config_received.clear()
        self.connected.set()
        tasks = [
            asyncio.create_task(self._receive(ws)),
            asyncio.create_task(self._send_loop(ws)),
            asyncio.create_task(stop.wait()),
        ]
        if self.config.max_session_length > 0:
            # Between half the length and the length, so agents started together spread out.
            length = self.config.max_session_length * (1 - random.random() * 0.5)
            tasks.append(asyncio.create_task(asyncio.sleep(length)))
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.connected.clear()
            for task in tasks:
                task.cancel()
            for outcome in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(outcome, Exception):
                    log.error("session ended by an error: %r", outcome)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2.0)
            log.info("disconnected from backend")

    async def _receive(self, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for data in ws:
                self.stats["messages_received"] += 1
                message_type, payload = unframe(data)
                try:
                    body = orjson.loads(payload)
                except orjson.JSONDecodeError:
                    log.error("undecodable %s message from the backend", message_type)
                    continue
                self._dispatch(message_type, body)

    def _dispatch(self, message_type: str, body: Any) -> None:
        if message_type == "entity_config":
            self.entity.apply_config(body)
            self._config_received.set()
        elif message_type == "check_request":
            if not self._accept_checks:
                return  # sensu-agent drops requests until its entity config arrived
            try:
                self.runner.handle(body)
            except CheckRequestRefused as exc:
                level = logging.WARNING if exc.duplicate else logging.ERROR
                log.log(level, "check request refused: %s", exc)
        else:
            log.warning("ignoring message of unknown type %r", message_type)

    async def _send_loop(self, ws: ClientConnection) -> None:
        if not self.config.agent_managed_entity:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._config_received.wait(), ENTITY_CONFIG_GRACE)
        self._accept_checks = True
        interval = self.config.keepalive_interval
        next_keepalive = 0.0
        try:
            while True:
                now = time.monotonic()
                if now >= next_keepalive:
                    if self.config.discover_processes:
                        await asyncio.to_thread(self.entity.refresh_processes)
                    await ws.send(frame("keepalive", orjson.dumps(self.keepalive())))
                    self.stats["messages_sent"] += 1
                    next_keepalive = now + interval
                paced = await self._drain(ws)
                self._pending.clear()
                if len(self.outbox) and paced is None:
                    continue
                timeout = next_keepalive - time.monotonic()
                if paced is not None:
                    timeout = min(timeout, paced)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._pending.wait(), max(0.0, timeout))
        except ConnectionClosed:
            return

    async def _drain(self, ws: ClientConnection) -> float | None:
        """Send queued messages in order; an API event over ``--events-rate-limit`` stops the
        batch and the answer is the seconds until it may go (keepalives go on meanwhile)."""
        for message_id, message_type, payload in self.outbox.peek(OUTBOX_BATCH):
            if message_type == API_EVENT:
                if not self.events_limiter.allow():
                    return self.events_limiter.delay()
                message_type = "event"
            await ws.send(frame(message_type, payload))
            self.outbox.remove(message_id)
            self.stats["messages_sent"] += 1
        return None

    async def _refresh_system(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), SYSTEM_REFRESH)
            await asyncio.to_thread(self.entity.refresh_system)

    def close(self) -> None:
        self.outbox.close()


def _pipeline_ref(text: str) -> dict[str, str] | None:
    """``core/v2.Pipeline.name``, as ``corev2.FromStringRef``; None (logged) when malformed."""
    match = _REF.search(text)
    if match is None:
        log.warning("error parsing keepalive pipeline resource reference: %s", text)
        return None
    return {"api_version": match[1], "type": match[2], "name": match[3]}


_REF = re.compile(r"(\w+/v\d+)\.(\w+)(?:\.|\s+)([\w.\-:]+)")
