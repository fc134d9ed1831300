"""A websocket client that talks to the agent port exactly as a stock ``sensu-agent`` 6.12 does.

What it reproduces (sensu-go ``agent/agent.go``, ``agent/entity.go``, ``transport/``):

* the handshake request: Go's canonical header names (``Sensu-Agentname``: Go's
  ``Header.Set`` canonicalises ``Sensu-AgentName``), ``Authorization: Basic``,
  ``Accept: application/octet-stream``, Go's user agent, no compression offered;
* the JSON negotiation: protobuf only if the response's ``Accept`` lists
  ``application/octet-stream``, JSON otherwise (this client speaks only JSON and fails
  loudly if the backend asks for protobuf);
* frames: one binary message ``<type>\\n<payload>``;
* payloads as Go's ``encoding/json`` writes them: struct field order, ``null`` for empty
  lists and pointers, omitted ``omitempty`` members, sorted top-level keys for events (their
  ``MarshalJSON`` goes through a map), ``<``/``>``/``&`` escaped;
* keepalives as ``newKeepalive`` builds them, with a per-connection ``sequence``.

Reused by the scheduler's tests and by ``bench/agents_bench.py``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

AGENT_VERSION = "6.12.0"
JSON_TYPE = "application/json"
PROTOBUF_TYPE = "application/octet-stream"


def go_json(value: Any) -> bytes:
    """Compact JSON escaped as Go's encoder escapes it (HTML-safe, line separators)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text.encode()


def object_meta(name: str = "", namespace: str = "", **extra: Any) -> dict[str, Any]:
    """core/v2 ObjectMeta: every member is ``omitempty``."""
    meta: dict[str, Any] = {}
    for key, value in (("name", name), ("namespace", namespace)):
        if value:
            meta[key] = value
    for key in ("labels", "annotations", "created_by"):
        if extra.get(key):
            meta[key] = extra[key]
    return meta


def default_system(hostname: str) -> dict[str, Any]:
    """A ``corev2.System`` as a linux/amd64 agent reports it (``processes`` is ``null``)."""
    return {
        "hostname": hostname,
        "os": "linux",
        "platform": "debian",
        "platform_family": "debian",
        "platform_version": "12.5",
        "network": {
            "interfaces": [
                {"name": "lo", "addresses": ["127.0.0.1/8", "::1/128"]},
                {"name": "eth0", "mac": "02:42:ac:11:00:02", "addresses": ["172.17.0.2/16"]},
            ]
        },
        "arch": "amd64",
        "libc_type": "glibc",
        "vm_system": "",
        "vm_role": "",
        "cloud_provider": "",
        "processes": None,
    }


def check_json(meta: dict[str, Any], **values: Any) -> dict[str, Any]:
    """A core/v2 ``Check`` in Go's field order; ``Check.MarshalJSON`` turns nil
    subscriptions, handlers and pipelines into ``[]``; other empty lists stay ``null``."""
    check: dict[str, Any] = {}
    if values.get("command"):
        check["command"] = values["command"]
    check.update(
        handlers=values.get("handlers") or [],
        high_flap_threshold=values.get("high_flap_threshold", 0),
        interval=values.get("interval", 0),
        low_flap_threshold=values.get("low_flap_threshold", 0),
        publish=values.get("publish", False),
        runtime_assets=values.get("runtime_assets"),
        subscriptions=values.get("subscriptions") or [],
        proxy_entity_name=values.get("proxy_entity_name", ""),
        check_hooks=None,
        stdin=False,
        subdue=None,
    )
    if values.get("cron"):
        check["cron"] = values["cron"]
    check.update(
        ttl=values.get("ttl", 0),
        timeout=values.get("timeout", 0),
        round_robin=bool(values.get("round_robin")),
    )
    if values.get("duration"):
        check["duration"] = values["duration"]
    check.update(
        executed=values.get("executed", 0),
        history=None,
        issued=values.get("issued", 0),
        output=values.get("output", ""),
    )
    if values.get("state"):
        check["state"] = values["state"]
    check.update(
        status=values.get("status", 0),
        total_state_change=0,
        last_ok=0,
        occurrences=0,
        occurrences_watermark=0,
        output_metric_format="",
        output_metric_handlers=None,
        env_vars=None,
        metadata=meta,
        secrets=None,
        is_silenced=False,
        scheduler="",
    )
    if values.get("processed_by"):
        check["processed_by"] = values["processed_by"]
    check["pipelines"] = values.get("pipelines") or []
    return check


@dataclass
class AgentConfig:
    """The agent flags that shape what goes on the wire (sensu-agent's defaults)."""

    name: str
    namespace: str = "default"
    user: str = "agent"
    password: str = "P@ssw0rd!"
    subscriptions: list[str] = field(default_factory=list)
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    keepalive_interval: int = 20
    keepalive_warning_timeout: int = 120
    keepalive_critical_timeout: int = 0
    deregister: bool = False
    deregistration_handler: str = ""
    keepalive_handlers: list[str] | None = None
    agent_managed_entity: bool = False


@dataclass
class Handshake:
    """The backend's answer to the upgrade request."""

    status: int
    headers: dict[str, list[str]]
    body: bytes = b""

    def values(self, name: str) -> list[str]:
        return self.headers.get(name.lower(), [])


class StockAgent:
    """One agent connection. Use ``async with StockAgent.connected(url, config) as agent``."""

    def __init__(self, url: str, config: AgentConfig) -> None:
        self.url = url
        self.config = config
        self.sequences: dict[str, int] = {}
        self.entity_config: dict[str, Any] | None = None  # the last non-"not found" one
        self.handshake: Handshake | None = None
        self._conn: ClientConnection | None = None

    # --- the handshake ------------------------------------------------------------------------
    def request_headers(self) -> list[tuple[str, str]]:
        """``buildTransportHeaderMap`` plus the ``Accept`` set before each dial, as Go
        writes them (canonical names)."""
        cfg = self.config
        credentials = base64.b64encode(f"{cfg.user}:{cfg.password}".encode()).decode()
        return [
            ("Sensu-Namespace", cfg.namespace),
            ("Sensu-Agentname", cfg.name),
            ("Sensu-User", cfg.user),
            ("Authorization", f"Basic {credentials}"),
            ("Sensu-Subscriptions", ",".join(cfg.subscriptions)),
            ("Accept", PROTOBUF_TYPE),
        ]

    async def connect(self, headers: list[tuple[str, str]] | None = None) -> Handshake:
        """Dial; on refusal return the status and body without raising."""
        try:
            self._conn = await connect(
                self.url,
                additional_headers=headers if headers is not None else self.request_headers(),
                user_agent_header="Go-http-client/1.1",
                compression=None,
                open_timeout=15,  # the agent's handshake timeout
                ping_interval=30,  # the agent's heartbeat: ping every 30 s ...
                ping_timeout=15,  # ... dead 45 s after the last pong
                max_size=None,
                proxy=None,
            )
        except InvalidStatus as exc:
            response = exc.response
            self.handshake = Handshake(
                response.status_code, _headers(response.headers), response.body or b""
            )
            return self.handshake
        assert self._conn.response is not None
        self.handshake = Handshake(101, _headers(self._conn.response.headers))
        if PROTOBUF_TYPE in self.handshake.values("Accept"):
            raise AssertionError("the backend offered protobuf; this client speaks JSON only")
        self.sequences = {}
        return self.handshake

    @classmethod
    @asynccontextmanager
    async def connected(cls, url: str, config: AgentConfig) -> AsyncIterator[StockAgent]:
        agent = cls(url, config)
        answer = await agent.connect()
        if answer.status != 101:
            raise AssertionError(f"handshake refused: {answer.status} {answer.body!r}")
        try:
            yield agent
        finally:
            await agent.close()

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close(1001, "bye")  # what transport.Close sends

    @property
    def conn(self) -> ClientConnection:
        assert self._conn is not None, "not connected"
        return self._conn

    # --- frames ----------------------------------------------------------------------------------
    async def send_frame(self, frame: bytes) -> None:
        await self.conn.send(frame)

    async def send(self, message_type: str, payload: bytes) -> None:
        await self.conn.send(message_type.encode() + b"\n" + payload)

    async def receive(self, timeout: float = 20.0) -> tuple[str, dict[str, Any]]:
        """The next frame as (type, decoded JSON payload)."""
        async with asyncio.timeout(timeout):
            frame = await self.conn.recv()
        if not isinstance(frame, bytes):
            raise AssertionError(f"the backend sent a text frame: {frame!r}")
        message_type, sep, payload = frame.partition(b"\n")
        assert sep, f"a frame without a type: {frame!r}"
        doc: dict[str, Any] = json.loads(payload)
        if message_type == b"entity_config" and doc["metadata"]["name"] != "not found":
            self.entity_config = doc
        return message_type.decode(), doc

    async def receive_type(self, wanted: str, timeout: float = 20.0) -> dict[str, Any]:
        """Skip frames until one of type ``wanted`` arrives."""
        deadline = time.monotonic() + timeout
        while True:
            message_type, doc = await self.receive(max(deadline - time.monotonic(), 0.01))
            if message_type == wanted:
                return doc

    # --- what the agent sends -------------------------------------------------------------------
    def next_sequence(self, check: str) -> int:
        self.sequences[check] = self.sequences.get(check, 0) + 1
        return self.sequences[check]

    def entity(self) -> dict[str, Any]:
        """``getAgentEntity``: the backend's config when one was received, else the local
        one, with the agent's state (a core/v2 Entity in Go's field order)."""
        cfg = self.config
        config = self.entity_config or {
            "metadata": object_meta(
                cfg.name, cfg.namespace, labels=cfg.labels, annotations=cfg.annotations
            ),
            "entity_class": "agent",
            "user": cfg.user,
            "subscriptions": list(cfg.subscriptions) or None,
            "deregister": cfg.deregister,
            "deregistration": (
                {"handler": cfg.deregistration_handler} if cfg.deregistration_handler else {}
            ),
            "keepalive_handlers": cfg.keepalive_handlers,
        }
        entity: dict[str, Any] = {
            "entity_class": config.get("entity_class") or "agent",
            "system": default_system(cfg.name),
            "subscriptions": config.get("subscriptions"),
            "last_seen": int(time.time()),
            "deregister": bool(config.get("deregister")),
            "deregistration": config.get("deregistration") or {},
        }
        if config.get("user"):
            entity["user"] = config["user"]
        if config.get("redact"):
            entity["redact"] = config["redact"]
        entity["metadata"] = config["metadata"]
        entity["sensu_agent_version"] = AGENT_VERSION
        if config.get("keepalive_handlers"):
            entity["keepalive_handlers"] = config["keepalive_handlers"]
        return entity

    def keepalive_payload(self, timestamp: int | None = None) -> bytes:
        """``newKeepalive``: event keys sorted (Event.MarshalJSON goes through a map)."""
        cfg = self.config
        check = check_json(
            object_meta("keepalive", cfg.namespace),
            interval=cfg.keepalive_interval,
            timeout=cfg.keepalive_warning_timeout,
            ttl=cfg.keepalive_critical_timeout,
        )
        event = {
            "check": check,
            "entity": self.entity(),
            "id": str(uuid.uuid4()),
            "metadata": object_meta("", cfg.namespace),
            "pipelines": None,
            "sequence": self.next_sequence("keepalive"),
            "timestamp": int(time.time()) if timestamp is None else timestamp,
        }
        return go_json(event)

    async def keepalive(self, timestamp: int | None = None) -> None:
        await self.send("keepalive", self.keepalive_payload(timestamp))

    def result_payload(self, check: str, status: int = 0, output: str = "", **values: Any) -> bytes:
        """A check result as ``executeCheck`` reports it (the request's config, the result)."""
        cfg = self.config
        now = int(time.time())
        body = check_json(
            object_meta(check, cfg.namespace),
            **{
                "interval": 60,
                "issued": now,
                "executed": now,
                "duration": 0.01,
                "status": status,
                "output": output,
                **values,
            },
        )
        event = {
            "check": body,
            "entity": self.entity(),
            "id": str(uuid.uuid4()),
            "metadata": object_meta("", cfg.namespace),
            "pipelines": None,
            "sequence": self.next_sequence(check),
            "timestamp": now,
        }
        return go_json(event)

    async def result(self, check: str, status: int = 0, output: str = "", **values: Any) -> None:
        await self.send("event", self.result_payload(check, status, output, **values))

    def answer_payload(self, request: dict[str, Any], status: int = 0, output: str = "") -> bytes:
        """The result ``executeCheck`` sends for a ``check_request``: the request's config,
        its ``issued``, executed now, ``processed_by`` the agent."""
        config = request["config"]
        meta = config.get("metadata") or {}
        copied = (
            "command", "handlers", "high_flap_threshold", "interval", "low_flap_threshold",
            "publish", "runtime_assets", "subscriptions", "proxy_entity_name", "cron", "ttl",
            "timeout", "round_robin", "pipelines",
        )  # fmt: skip
        values = {key: config[key] for key in copied if config.get(key) is not None}
        return self.result_payload(
            meta.get("name", ""),
            status,
            output,
            **values,
            issued=request.get("issued", 0),
            processed_by=self.config.name,
        )

    async def answer(self, request: dict[str, Any], status: int = 0, output: str = "") -> None:
        await self.send("event", self.answer_payload(request, status, output))


def _headers(headers: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in headers.raw_items():
        out.setdefault(name.lower(), []).append(value)
    return out
