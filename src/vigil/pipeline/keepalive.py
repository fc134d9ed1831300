"""Keepalive monitoring: deadlines per entity, failing keepalives and deregistration.

Every ``keepalive`` event refreshes the entity's deadline (now + the check's ``timeout``, the
warning timeout, 120 s when 0) and its ``last_seen``, and is stored as Sensu's OK keepalive
event. Deadlines live in the store (internal kind ``_keepalives``), so they survive a restart
and any backend can take over the periodic check. When a deadline passes, the entity either
gets a failing keepalive event (status 1; 2 once the critical ``ttl`` is exceeded), repeated
every ``timeout`` seconds, or is deregistered when it asked for that (``deregister: true``).

Check TTLs ("dead man's switch") use the same idea: a result with ``ttl > 0`` arms a deadline
(internal kind ``_check_ttls``); when it passes without a new result, a failing copy of the
stored check is stored and handed on, every ``ttl`` seconds, while the entity's keepalive is OK.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec

from vigil.errors import PreconditionFailed
from vigil.model.entities import Entity
from vigil.model.events import Event
from vigil.pipeline.deadlines import (
    BURIAL,
    KEEPALIVE,
    KIND,
    TTL_KIND,
    deadline_record,
    entity_removal_ops,
    is_due,
    record_put,
)
from vigil.pipeline.ids import new_event_id
from vigil.store.base import Delete, ListQuery, Op, Put, Record, Store

log = logging.getLogger(__name__)

Doc = dict[str, Any]
__all__ = [
    "KIND",
    "TTL_KIND",
    "CheckTTLMonitor",
    "EventSink",
    "KeepaliveMonitor",
    "Monitors",
    "wire",
]


class EventSink(Protocol):
    """What the monitors need of the event processor: store-and-emit, and emit alone."""

    async def process(
        self,
        event: Doc,
        namespace: str,
        *,
        last_seen: int | None = None,
        extra_ops: Sequence[Op] = (),
        silence: bool = True,
        retry: bool = True,
        now: int | None = None,
    ) -> Doc: ...

    def emit(self, event: Doc) -> None: ...


DEFAULT_TIMEOUT = 120
DEFAULT_HANDLERS = ["keepalive"]
DEREGISTERING_OUTPUT = "Resolving due to entity deregistering"


def _name(doc: Doc) -> str:
    return str((doc.get("metadata") or {}).get("name") or "")


def go_time(ts: int) -> str:
    """Render like Go's ``time.Time.String`` in UTC: ``2024-01-02 15:04:05 +0000 UTC``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S +0000 UTC")


def timeouts(check: Doc) -> tuple[int, int]:
    """(warning timeout, critical timeout): ``timeout`` (120 when 0) and ``ttl`` (0 = off)."""
    return int(check.get("timeout") or 0) or DEFAULT_TIMEOUT, max(int(check.get("ttl") or 0), 0)


def keepalive_check(source: Doc, entity: Doc, namespace: str, now: int, scheduler: str) -> Doc:
    """The check of a backend-built keepalive event; status and output are set by callers."""
    return {
        "metadata": {"name": KEEPALIVE, "namespace": namespace},
        "interval": int(source.get("interval") or 0),
        "timeout": int(source.get("timeout") or 0),
        "ttl": int(source.get("ttl") or 0),
        "handlers": list(entity.get("keepalive_handlers") or DEFAULT_HANDLERS),
        "executed": now,
        "issued": now,
        "scheduler": scheduler,
        "status": 0,
        "output": "",
    }


def ok_keepalive_event(
    received: Doc, namespace: str, last_seen: int, now: int, scheduler: str
) -> Doc:
    """The OK event stored for a received keepalive (fresh id, entity with ``last_seen``)."""
    entity = copy.deepcopy(received["entity"])
    entity["last_seen"] = last_seen
    check = keepalive_check(received["check"], entity, namespace, now, scheduler)
    check["output"] = f"Keepalive last sent from {_name(entity)} at {go_time(last_seen)}"
    return _keepalive_event(received, entity, check, namespace, now)


def _keepalive_event(source: Doc, entity: Doc, check: Doc, namespace: str, now: int) -> Doc:
    """A new keepalive event around ``check``, keeping ``source``'s metadata and pipelines."""
    return {
        "id": new_event_id(),
        "timestamp": now,
        "metadata": copy.deepcopy(source.get("metadata") or {"namespace": namespace}),
        "entity": entity,
        "check": check,
        "pipelines": copy.deepcopy(source.get("pipelines")),
    }


def failing_keepalive_event(
    stored: Doc, entity: Doc, namespace: str, last_seen: int, now: int, scheduler: str
) -> Doc:
    """A missed-keepalive event: status 1 past ``timeout``, 2 past a non-zero ``ttl``."""
    timeout, ttl = timeouts(stored["check"])
    elapsed = now - last_seen
    status, threshold = 1, timeout
    if ttl and elapsed >= ttl:
        status, threshold = 2, ttl
    check = keepalive_check(stored["check"], entity, namespace, now, scheduler)
    check["status"] = status
    check["output"] = (
        f"No keepalive sent from {_name(entity)} for {elapsed} seconds (>= {threshold})"
    )
    return _keepalive_event(stored, entity, check, namespace, now)


def resolution_copy(stored: Doc) -> Doc:
    """What the pipeline sees for each event of a deregistered entity (never stored)."""
    event = copy.deepcopy(stored)
    event["check"] = dict(event["check"], status=0, output=DEREGISTERING_OUTPUT, history=[])
    return event


def deregistration_event(entity: Doc, namespace: str, now: int) -> Doc | None:
    """The event that runs ``entity.deregistration.handler``; None when no handler is set."""
    handler = str((entity.get("deregistration") or {}).get("handler") or "")
    if not handler:
        return None
    return {
        "id": new_event_id(),
        "timestamp": now,
        "metadata": {"namespace": namespace},
        "entity": entity,
        "check": {
            "metadata": {"name": "deregistration", "namespace": namespace},
            "interval": 1,
            "subscriptions": [],
            "handlers": [handler],
            "status": 1,
        },
    }


class KeepaliveMonitor:
    """Refreshes deadlines on keepalives and acts on missed ones (``check_deadlines``)."""

    def __init__(self, store: Store, processor: EventSink, scheduler: str) -> None:
        self.store = store
        self.processor = processor
        self.scheduler = scheduler  # shown in failing keepalives, as Sensu names its store

    async def receive(self, event: Doc, namespace: str) -> Doc:
        """Handle a received keepalive: refresh the deadline, store the OK keepalive event."""
        clock = time.time()
        now = int(clock)
        entity_name = _name(event["entity"])
        timestamp = int(event.get("timestamp") or 0)
        if timestamp == BURIAL:
            await self.forget(namespace, entity_name)
            return event
        last_seen = timestamp or now
        timeout, ttl = timeouts(event["check"])
        ok = ok_keepalive_event(event, namespace, last_seen, now, self.scheduler)
        record = deadline_record(
            entity_name, timeout, ttl, last_seen, now + timeout, clock + timeout
        )
        return await self.processor.process(
            ok, namespace, last_seen=last_seen, extra_ops=[record_put(namespace, record)]
        )

    async def forget(self, namespace: str, entity: str) -> None:
        await self.store.apply([Delete(KIND, namespace, entity, missing_ok=True)])

    async def check_deadlines(self, now: float | None = None) -> int:
        """Act on every deadline that has passed; return how many entities were handled.

        The caller decides leadership (``PeriodicJobs`` asks ``store.is_leader``).
        """
        clock = time.time() if now is None else float(now)
        handled = 0
        for record in await self.store.list(ListQuery(KIND)):
            doc: Doc = msgspec.json.decode(record.value)
            if not is_due(doc, clock):
                continue
            try:
                handled += await self._missed(record, doc, clock)
            except Exception:
                log.exception(
                    "keepalive check failed",
                    extra={"entity_name": record.name, "entity_namespace": record.namespace},
                )
        return handled

    async def _missed(self, record: Record, doc: Doc, clock: float) -> int:
        namespace, name = record.namespace, record.name
        now = int(clock)
        entity_rec = await self.store.get(Entity.PLURAL, namespace, name)
        event_rec = await self.store.get(Event.PLURAL, namespace, f"{name}/{KEEPALIVE}")
        if entity_rec is None or event_rec is None:  # nothing left to watch
            await self._drop(record)
            return 0
        entity: Doc = msgspec.json.decode(entity_rec.value)
        if entity.get("deregister"):
            try:
                await self.deregister(namespace, entity, record)
            except PreconditionFailed:
                return 0  # a keepalive arrived meanwhile
            return 1
        stored: Doc = msgspec.json.decode(event_rec.value)
        last_seen = max(int(entity.get("last_seen") or 0), int(doc.get("last_seen") or 0))
        failing = failing_keepalive_event(stored, entity, namespace, last_seen, now, self.scheduler)
        timeout = int(doc.get("timeout") or DEFAULT_TIMEOUT)
        rearmed = dict(doc, deadline=now + timeout, due=clock + timeout)
        again = record_put(namespace, rearmed, record.revision)
        try:
            await self.processor.process(
                failing, namespace, extra_ops=[again], retry=False, now=now
            )
        except PreconditionFailed:
            return 0  # a keepalive arrived meanwhile: the entity is alive
        return 1

    async def _drop(self, record: Record) -> None:
        op = Delete(KIND, record.namespace, record.name, record.revision, missing_ok=True)
        with contextlib.suppress(PreconditionFailed):  # refreshed meanwhile: keep watching
            await self.store.apply([op])

    async def deregister(self, namespace: str, entity: Doc, record: Record | None = None) -> None:
        """Remove the entity and its events, then tell the pipeline (resolutions, handler)."""
        revision = record.revision if record is not None else None
        ops, events = await entity_removal_ops(
            self.store, namespace, _name(entity), keepalive_revision=revision
        )
        await self.store.apply(ops)
        for stored in events:
            self.processor.emit(resolution_copy(msgspec.json.decode(stored.value)))
        dereg = deregistration_event(entity, namespace, int(time.time()))
        if dereg is not None:
            self.processor.emit(dereg)


# --- check TTLs ---------------------------------------------------------------------------
def ttl_failure_event(stored: Doc, now: int) -> Doc:
    """The synthetic result for a check whose TTL passed: status 1, failing, executed now."""
    event = copy.deepcopy(stored)
    check = event["check"]
    elapsed = now - int(check.get("executed") or 0)
    check.update(status=1, state="failing", executed=now)
    check["output"] = f"Last check execution was {elapsed} seconds ago"
    event.update(id=new_event_id(), timestamp=now)
    return event


class CheckTTLMonitor:
    """Acts on check results that stopped arriving (``check_deadlines``)."""

    def __init__(self, store: Store, processor: EventSink) -> None:
        self.store = store
        self.processor = processor

    async def check_deadlines(self, now: float | None = None) -> int:
        clock = time.time() if now is None else float(now)
        handled = 0
        for record in await self.store.list(ListQuery(TTL_KIND)):
            doc: Doc = msgspec.json.decode(record.value)
            if not is_due(doc, clock):
                continue
            try:
                handled += await self._expired(record, int(clock))
            except Exception:
                log.exception("check ttl failed", extra={"check": record.name})
        return handled

    async def _expired(self, record: Record, now: int) -> int:
        namespace, name = record.namespace, record.name
        entity_name = name.partition("/")[0]
        event_rec = await self.store.get(Event.PLURAL, namespace, name)
        entity_rec = await self.store.get(Entity.PLURAL, namespace, entity_name)
        alive = await self.store.get(Event.PLURAL, namespace, f"{entity_name}/{KEEPALIVE}")
        dead = alive is not None and int(msgspec.json.decode(alive.value)["check"]["status"]) > 0
        if event_rec is None or entity_rec is None or dead:
            op = Delete(TTL_KIND, namespace, name, record.revision, missing_ok=True)
            with contextlib.suppress(PreconditionFailed):
                await self.store.apply([op])
            return 0
        failure = ttl_failure_event(msgspec.json.decode(event_rec.value), now)
        guard = Put(TTL_KIND, namespace, name, record.value, if_revision=record.revision)
        try:
            await self.processor.process(
                failure, namespace, extra_ops=[guard], silence=False, retry=False, now=now
            )
        except PreconditionFailed:
            return 0  # a fresh result arrived meanwhile
        return 1


def wire(store: Store, processor: EventSink, scheduler: str) -> Monitors:
    """Start-up wiring: the monitors act through the processor's narrow ``EventSink`` side
    (the processor takes them back with ``watch_with``); neither module imports the other."""
    return Monitors(
        KeepaliveMonitor(store, processor, scheduler), CheckTTLMonitor(store, processor)
    )


@dataclass(frozen=True, slots=True)
class Monitors:
    keepalives: KeepaliveMonitor
    check_ttls: CheckTTLMonitor
