"""Agent-local inputs whose events reach the backend: the HTTP API, the 1.x socket, StatsD.

Everything they accept becomes an ``event`` in the outbox, filled as sensu-agent fills it:
namespace, timestamp, ``check.interval`` 1, ``check.executed``, ``processed_by``, the agent's
own entity (another entity name becomes ``check.proxy_entity_name``) and a fresh id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import msgspec
import orjson
import uvicorn
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from vigil.agent.entity import AGENT_VERSION
from vigil.agent.outbox import API_EVENT
from vigil.errors import InvalidArgument
from vigil.model.checks import Check

log = logging.getLogger("vigil.agent.inputs")

TCP_READ_DEADLINE = 5.0
UDP_MAX = 1500
PING = re.compile(rb"\s+ping\s+")  # sensu-agent's pattern, searched anywhere

Entity = Callable[[], dict[str, Any]]
Send = Callable[[str, dict[str, Any]], None]


class BadEvent(InvalidArgument):
    pass


def prepare_event(event: Any, *, agent: str, namespace: str, entity: Entity) -> dict[str, Any]:
    """sensu-agent's ``prepareEvent``: fill what is missing, validate, attach the agent."""
    if not isinstance(event, dict):
        raise BadEvent("an event must be provided")
    check, metrics = event.get("check"), event.get("metrics")
    if not check and not metrics:
        raise BadEvent("at least check or metrics need to be instantiated for this event")
    meta = event.setdefault("metadata", {}) or {}
    event["metadata"] = meta
    meta["namespace"] = meta.get("namespace") or namespace
    event["timestamp"] = event.get("timestamp") or int(time.time())
    if check:
        if not isinstance(check, dict):
            raise BadEvent("check must be an object")
        check["interval"] = check.get("interval") or 1
        cmeta = check.setdefault("metadata", {}) or {}
        check["metadata"] = cmeta
        cmeta["namespace"] = cmeta.get("namespace") or namespace
        check["executed"] = check.get("executed") or int(time.time())
        try:
            msgspec.convert(check, Check, strict=False).validate()
        except (msgspec.ValidationError, InvalidArgument) as exc:
            raise BadEvent(str(exc)) from exc
        check["processed_by"] = agent
    given = event.get("entity")
    name = (given or {}).get("metadata", {}).get("name") if isinstance(given, dict) else None
    if name and check and name != agent:
        check["proxy_entity_name"] = name
    event["entity"] = entity()
    event["id"] = event.get("id") or str(uuid.uuid4())
    return event


def translate_1x(result: Any, *, agent: str, namespace: str) -> dict[str, Any]:
    """A Sensu 1.x check result -> a core/v2 event (before ``prepare_event``)."""
    if not isinstance(result, dict):
        raise BadEvent("a check result must be a JSON object")
    if not result.get("name"):
        raise BadEvent("a check name must be provided")
    if not result.get("output"):
        raise BadEvent("a check output must be provided")
    source = result.get("source") or result.get("client") or ""
    handlers = result.get("handlers") or ([result["handler"]] if result.get("handler") else [])
    check = {
        "metadata": {"name": result["name"], "namespace": namespace},
        "status": int(result.get("status") or 0),
        "command": result.get("command") or "",
        "subscriptions": result.get("subscribers") or [],
        "interval": int(result.get("interval") or 0),
        "issued": int(result.get("issued") or 0),
        "executed": int(result.get("executed") or 0),
        "duration": float(result.get("duration") or 0),
        "output": result["output"],
        "handlers": handlers,
    }
    event: dict[str, Any] = {"metadata": {"namespace": namespace}, "check": check}
    if source and source != agent:
        event["entity"] = {
            "metadata": {"name": source, "namespace": namespace},
            "entity_class": "proxy",
        }
    return event


# --- the HTTP API ----------------------------------------------------------------------------


class _AgentCollector(Collector):
    def __init__(self, stats: Callable[[], dict[str, float]]) -> None:
        self.stats = stats

    def collect(self) -> Any:
        for name, value in sorted(self.stats().items()):
            kind = GaugeMetricFamily if name.endswith(("_events", "connected")) else None
            family = (kind or CounterMetricFamily)(f"sensu_agent_{name}", name.replace("_", " "))
            family.add_metric([], value)
            yield family


def api_app(
    *,
    agent: str,
    namespace: str,
    entity: Entity,
    send: Send,
    connected: Callable[[], bool],
    stats: Callable[[], dict[str, float]],
) -> Starlette:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_AgentCollector(stats))

    async def add_event(request: Request) -> Response:
        try:
            body = orjson.loads(await request.body())
            event = prepare_event(body, agent=agent, namespace=namespace, entity=entity)
        except (orjson.JSONDecodeError, BadEvent, TypeError, ValueError, AttributeError) as exc:
            return PlainTextResponse(f"{exc}\n", status_code=400)
        try:
            send(API_EVENT, event)
        except Exception:
            log.exception("error queueing message")
            return PlainTextResponse("error queueing message\n", status_code=500)
        return Response(status_code=202)

    async def healthz(_: Request) -> Response:
        if connected():
            return PlainTextResponse("ok")
        return PlainTextResponse("sensu backend unavailable", status_code=503)

    async def version(_: Request) -> Response:
        return JSONResponse({"version": AGENT_VERSION})

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(registry), media_type="text/plain; version=0.0.4")

    return Starlette(
        routes=[
            Route("/events", add_event, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/version", version, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ]
    )


class _Server(uvicorn.Server):
    """The agent owns SIGINT/SIGTERM; uvicorn must neither take nor re-raise them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_api(app: Starlette, host: str, port: int, stop: asyncio.Event) -> None:
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, lifespan="off", loop="none"
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await task


# --- the 1.x socket --------------------------------------------------------------------------


class SocketInput:
    """TCP (buffer until JSON, reply ok/invalid, ping/pong) and UDP (one datagram) on one port."""

    def __init__(self, *, agent: str, namespace: str, entity: Entity, send: Send) -> None:
        self.agent, self.namespace, self.entity, self.send = agent, namespace, entity, send

    def accept(self, data: bytes) -> None:
        result = orjson.loads(data)
        event = translate_1x(result, agent=self.agent, namespace=self.namespace)
        prepared = prepare_event(
            event, agent=self.agent, namespace=self.namespace, entity=self.entity
        )
        self.send("event", prepared)

    async def handle_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = b""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TCP_READ_DEADLINE
        try:
            while True:
                try:
                    chunk = await asyncio.wait_for(reader.read(65536), deadline - loop.time())
                except TimeoutError:
                    writer.write(b"invalid")
                    break
                buffer += chunk
                if PING.search(buffer):
                    writer.write(b"pong")
                    break
                try:
                    self.accept(buffer)
                except orjson.JSONDecodeError:
                    if not chunk:  # closed before a whole document arrived
                        writer.write(b"invalid")
                        break
                    continue
                except (BadEvent, TypeError, ValueError) as exc:
                    # sensu-agent closes without an answer here ("invalid" is for JSON
                    # that never completes).
                    log.warning("invalid check result on the socket: %s", exc)
                    break
                writer.write(b"ok")
                break
            await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, receive: Callable[[bytes], None]) -> None:
        self.receive = receive

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            self.receive(data[:UDP_MAX])
        except Exception as exc:
            log.warning("invalid datagram: %s", exc)


# --- StatsD ----------------------------------------------------------------------------------


@dataclass
class StatsdAggregate:
    counters: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    gauges: dict[str, float] = field(default_factory=dict)
    timers: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    sets: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, data: bytes) -> None:
        for line in data.decode(errors="replace").splitlines():
            name, _, rest = line.strip().partition(":")
            parts = rest.split("|")
            if not name or len(parts) < 2:
                continue
            value, kind = parts[0], parts[1]
            rate = 1.0
            for extra in parts[2:]:
                if extra.startswith("@"):
                    with contextlib.suppress(ValueError):
                        rate = float(extra[1:]) or 1.0
            try:
                if kind == "c":
                    self.counters[name] += float(value) / rate
                elif kind == "g":
                    if value[:1] in "+-" and name in self.gauges:
                        self.gauges[name] += float(value)
                    else:
                        self.gauges[name] = float(value)
                elif kind in ("ms", "h"):
                    self.timers[name].append(float(value))
                elif kind == "s":
                    self.sets[name].add(value)
            except ValueError:
                continue

    def points(self, now: int, interval: float) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []

        def point(name: str, value: float) -> None:
            out.append({"name": name, "value": value, "timestamp": now, "tags": []})

        for name, total in self.counters.items():
            point(f"{name}.value", total)
            point(f"{name}.per_second", total / interval if interval else 0.0)
        for name, values in self.timers.items():
            point(f"{name}.min", min(values))
            point(f"{name}.max", max(values))
            point(f"{name}.count", float(len(values)))
            point(f"{name}.per_second", len(values) / interval if interval else 0.0)
            point(f"{name}.mean", statistics.fmean(values))
            point(f"{name}.median", statistics.median(values))
            point(f"{name}.stddev", statistics.pstdev(values))
            point(f"{name}.sum", math.fsum(values))
            point(f"{name}.sum_squares", math.fsum(v * v for v in values))
        for name, gauge in self.gauges.items():
            point(f"{name}.value", gauge)
        for name, members in self.sets.items():
            point(f"{name}.value", float(len(members)))
        return out


async def run_statsd(
    *,
    host: str,
    port: int,
    interval: float,
    handlers: list[str],
    entity: Entity,
    namespace: str,
    send: Send,
    stop: asyncio.Event,
) -> None:
    """Aggregate StatsD datagrams; every interval, one metrics-only event (if any)."""
    state = {"aggregate": StatsdAggregate()}
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Datagrams(lambda data: state["aggregate"].add(data)), local_addr=(host, port)
    )
    try:
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
            aggregate, state["aggregate"] = state["aggregate"], StatsdAggregate()
            points = aggregate.points(int(time.time()), interval)
            if points:
                send(
                    "event",
                    {
                        "metadata": {"namespace": namespace},
                        "entity": entity(),
                        "timestamp": int(time.time()),
                        "metrics": {"points": points, "handlers": list(handlers)},
                    },
                )
    finally:
        transport.close()


async def run_sockets(sockets: SocketInput, host: str, port: int, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    server = await asyncio.start_server(sockets.handle_tcp, host, port)
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Datagrams(sockets.accept), local_addr=(host, port)
    )
    try:
        await stop.wait()
    finally:
        server.close()
        transport.close()
