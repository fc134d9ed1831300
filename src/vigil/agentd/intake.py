"""What an agent sends: keepalives (registration, then the keepalive monitor) and events
(the same ingestion as ``POST /events``).

A session may only speak for its own agent in its own namespace: that is what the handshake
authorised (``create`` on ``events`` named after the agent), so a message about another
entity or namespace is refused.
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

import msgspec

from vigil.agentd import wire
from vigil.errors import AlreadyExists, InvalidArgument, PreconditionFailed
from vigil.metrics import Metrics
from vigil.pipeline.eventd import EventProcessor, entity_put, prepare_incoming
from vigil.store.base import Store

log = logging.getLogger("vigil.agentd")

Doc = dict[str, Any]
ENTITIES = "entities"
REGISTRATION = "registration"
# The half of an agent entity its agent reports on every keepalive (Sensu's EntityState).
_STATE_FIELDS = ("system", "sensu_agent_version")


def _name(doc: Doc) -> str:
    return str((doc.get("metadata") or {}).get("name") or "")


def _labels(doc: Doc) -> dict[str, str]:
    return dict((doc.get("metadata") or {}).get("labels") or {})


def _managed(doc: Doc) -> bool:
    return _labels(doc).get(wire.MANAGED_BY) == "sensu-agent"


def registration_event(entity: Doc, namespace: str, now: int) -> Doc:
    """What the pipeline sees when an agent registers (never stored), as Sensu builds it."""
    return {
        "timestamp": now,
        "metadata": {"namespace": namespace},
        "entity": entity,
        "check": {
            "metadata": {"name": REGISTRATION, "namespace": namespace},
            "interval": 1,
            "handlers": [REGISTRATION],
            "status": 1,
        },
    }


def with_own_subscription(entity: Doc) -> None:
    """Sensu adds ``entity:<name>`` to every entity an agent sends."""
    own = f"entity:{_name(entity)}"
    subscriptions = list(entity.get("subscriptions") or [])
    if own not in subscriptions:
        subscriptions.append(own)
    entity["subscriptions"] = subscriptions


class Intake:
    def __init__(self, store: Store, events: EventProcessor, metrics: Metrics) -> None:
        self.store = store
        self.events = events
        self.metrics = metrics

    def _own(self, payload: bytes, namespace: str, agent: str) -> Doc:
        """The decoded event, refused unless it is about this agent in this namespace."""
        event = wire.decode_event(payload)
        entity = event["entity"]
        if _name(entity) != agent:
            raise InvalidArgument(f"the entity must be the agent itself ({agent!r})")
        for part in (event, entity, event.get("check") or {}):
            given = (part.get("metadata") or {}).get("namespace")
            if given and given != namespace:
                raise InvalidArgument(f"namespace {given!r} is not the session's ({namespace!r})")
        entity["entity_class"] = entity.get("entity_class") or wire.AGENT_CLASS
        with_own_subscription(entity)
        return event

    async def keepalive(
        self, payload: bytes, namespace: str, agent: str, registered: str = ""
    ) -> str:
        """Register (unless ``registered``, what the previous keepalive of this session
        returned, says nothing changed) and hand the keepalive to the monitor."""
        event = self._own(payload, namespace, agent)
        if not event.get("timestamp"):
            raise InvalidArgument("keepalive contains invalid timestamp")
        if not isinstance(event.get("check"), dict):
            raise InvalidArgument("keepalive must contain a check")
        prepared = prepare_incoming(event, namespace, None)
        prepared["check"]["metadata"]["name"] = "keepalive"
        entity = prepared["entity"]
        state = wire.digest({field: entity.get(field) for field in _STATE_FIELDS})
        if entity.get("entity_class") == wire.AGENT_CLASS and state != registered:
            await self.register(prepared, namespace)
        await self.events.ingest_prepared(prepared, namespace)
        return state

    async def event(self, payload: bytes, namespace: str, agent: str) -> None:
        event = self._own(payload, namespace, agent)
        await self.events.ingest(event, namespace=namespace)
        self.metrics.events_ingested.inc()

    async def register(self, keepalive: Doc, namespace: str) -> None:
        """Sensu's registration rules (spec §6.2 step 3), plus the agent-reported state.

        No stored entity: create it from the keepalive and tell the pipeline. A stored one
        is replaced by an agent-managed entity on the first keepalive of a connection, or by
        an unmanaged one when the stored entity was agent-managed; otherwise the stored
        config wins and only the agent-reported state (system, agent version) is refreshed.
        """
        incoming = copy.deepcopy(keepalive["entity"])
        name = _name(incoming)
        record = await self.store.get(ENTITIES, namespace, name)
        if record is None:
            incoming["last_seen"] = int(keepalive.get("timestamp") or 0)
            try:
                await self.store.apply([entity_put(namespace, incoming, 0)])
            except AlreadyExists:
                return  # registered meanwhile (another keepalive, another backend)
            now = int(time.time())
            self.events.emit(registration_event(incoming, namespace, now))
            return
        stored: Doc = msgspec.json.decode(record.value)
        replace = (
            int(keepalive.get("sequence") or 0) == 1 if _managed(incoming) else (_managed(stored))
        )
        if replace:
            updated = dict(incoming, last_seen=stored.get("last_seen", 0))
        else:
            updated = dict(stored)
            for field in _STATE_FIELDS:
                if field in incoming:
                    updated[field] = incoming[field]
        op = entity_put(namespace, updated, record.revision)
        if op.value == record.value:
            return
        try:
            await self.store.apply([op])
        except PreconditionFailed:
            log.debug("entity changed during registration", extra={"entity_name": name})
