"""Event ingestion: turn a raw event into the stored event, then hand it to the pipeline.

For each event with a check: fill defaults, resolve (or create) the proxy entity, mark
silences, merge with the previous event (``state.py``), delete ``expire_on_resolve`` silences
on a resolution, and write everything in one ``store.apply`` batch. Only after that batch
is durable does ``on_stored`` see the event. Metrics-only events skip storage entirely.

Ingestion runs concurrently: the store group-commits the batches, and only results for the
same (namespace, entity, check) wait for each other, so history is never merged from a stale
previous event within this process.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec

from vigil.errors import AlreadyExists, InvalidArgument, PreconditionFailed
from vigil.locks import KeyedLocks
from vigil.model.entities import Entity
from vigil.model.events import Event
from vigil.model.silenced import Silenced
from vigil.pipeline import deadlines as dl
from vigil.pipeline.ids import new_event_id
from vigil.pipeline.silencing import resolved_expire_on_resolve, silenced_by
from vigil.pipeline.state import apply_check_result, storage_form
from vigil.settings import Settings
from vigil.store.base import Delete, Key, ListQuery, Op, Put, Record, Store

log = logging.getLogger(__name__)

Doc = dict[str, Any]
OnStored = Callable[[Doc], object]

EVENTS = Event.PLURAL
ENTITIES = Entity.PLURAL
SILENCED = Silenced.PLURAL
SILENCES_CHANNEL = "vigil_silenced"
# How long a namespace's silences are served from memory when no change was announced;
# writes through any backend announce themselves (``silences_changed``), so this only bounds
# the staleness after a lost notification.
SILENCES_TTL = 1.0
AGENT_CLASS = "agent"
PROXY_CLASS = "proxy"
WRITE_ATTEMPTS = 10  # a lost race on the entity or the event is retried with fresh reads


class KeepaliveWatch(Protocol):
    async def receive(self, event: Doc, namespace: str) -> Doc: ...

    async def check_deadlines(self, now: float | None = None) -> int: ...


class DeadlineWatch(Protocol):
    async def check_deadlines(self, now: float | None = None) -> int: ...


@dataclass(frozen=True, slots=True)
class Commit:
    """How one event is committed.

    ``last_seen`` also stamps the stored entity (keepalives); ``extra_ops`` run first in the
    same batch (a failed condition there aborts the whole write, see ``retry``); ``silence``
    False skips silence matching (synthetic TTL failures); ``now`` overrides the clock.
    """

    last_seen: int | None = None
    extra_ops: Sequence[Op] = ()
    silence: bool = True
    retry: bool = True
    now: int | None = None  # the periodic jobs' clock, so their deadlines line up


def _writable(event: Doc) -> Doc:
    """A copy ``_commit`` may change: it only replaces top-level keys and sets keys of the
    entity and check, so copying those three levels keeps ``event`` intact for a retry
    (a deep copy cost more than the rest of ingestion together)."""
    copied = dict(event)
    for part in ("entity", "check"):
        if isinstance(copied.get(part), dict):
            copied[part] = dict(copied[part])
    return copied


# --- model bridge -------------------------------------------------------------------------
def event_put(namespace: str, doc: Doc, if_revision: int | None = None) -> Put:
    # Typed for encoding and fields; not validated again: the input was validated by
    # prepare_incoming and the state rules only fill fields they own.
    try:
        event = msgspec.convert(doc, type=Event)
    except msgspec.ValidationError as exc:
        raise InvalidArgument(str(exc)) from None
    return Put(
        EVENTS,
        namespace,
        event.key_name(),
        msgspec.json.encode(event),
        event.fields(),
        event.labels(),
        if_revision,
    )


def entity_put(namespace: str, doc: Doc, if_revision: int | None) -> Put:
    try:
        entity = msgspec.convert(doc, type=Entity)
    except msgspec.ValidationError as exc:
        raise InvalidArgument(str(exc)) from None
    entity.validate()
    value = msgspec.json.encode(entity)
    name = entity.key_name()
    return Put(ENTITIES, namespace, name, value, entity.fields(), entity.labels(), if_revision)


def _name(doc: Doc) -> str:
    return str((doc.get("metadata") or {}).get("name") or "")


def _with_metadata(part: Doc) -> tuple[Doc, Doc]:
    """A shallow copy of ``part`` and of its metadata (the only levels prepare_incoming
    changes), so the caller's document is never modified."""
    part = dict(part)
    meta = part.get("metadata")
    part["metadata"] = dict(meta) if isinstance(meta, dict) else {}
    return part, part["metadata"]


def prepare_incoming(event: Doc, namespace: str, created_by: str | None) -> Doc:
    """A normalised copy: entity namespace and class defaults, creator stamps, validation.

    Values the defaults replace (empty, missing, or overwritten anyway) are dropped before
    the typed conversion, so they never fail it; ``prepare_event`` then sets them.
    """
    event, event_meta = _with_metadata(event)
    event_meta.pop("namespace", None)
    if not event.get("id"):
        event.pop("id", None)
    entity = event.get("entity")
    if isinstance(entity, dict):
        entity, meta = _with_metadata(entity)
        if not meta.get("namespace"):
            meta.pop("namespace", None)
        if not entity.get("entity_class"):
            entity.pop("entity_class", None)
        event["entity"] = entity
    check = event.get("check")
    if isinstance(check, dict):
        check, meta = _with_metadata(check)
        meta.pop("namespace", None)
        event["check"] = check
    try:
        model = msgspec.convert(event, type=Event)
    except msgspec.ValidationError as exc:
        raise InvalidArgument(str(exc)) from None
    return prepare_event(model, namespace, created_by)


def prepare_event(event: Event, namespace: str, created_by: str | None) -> Doc:
    """The event as the processor takes it, from its typed form (changed in place): the
    namespace everywhere (an entity keeps its own), a proxy class for an entity without
    one, an id, the creator's stamps; then Sensu's validation. The HTTP API decodes bodies
    into this type already, so it skips a second conversion (``ingest_event``)."""
    event.metadata.namespace = namespace
    if event.entity is not None:
        meta = event.entity.metadata
        meta.namespace = meta.namespace or namespace
        event.entity.entity_class = event.entity.entity_class or PROXY_CLASS
    if event.check is not None:
        event.check.metadata.namespace = namespace
    event.validate()
    if not event.id:  # after validate: it need not parse an id made here (a few µs)
        event.id = new_event_id()
    if created_by:
        event.set_created_by(created_by)
    return msgspec.to_builtins(event)  # type: ignore[no-any-return]


def new_proxy_entity(event: Doc, name: str, namespace: str) -> Doc:
    """Sensu's auto-created entity: forced ``proxy`` class plus ``entity:<name>``."""
    created_by = str((event.get("metadata") or {}).get("created_by") or "")
    check = event["check"]
    if check.get("proxy_entity_name"):
        entity: Doc = {"metadata": {"name": name, "namespace": namespace}}
    else:
        entity = copy.deepcopy(event["entity"])
    entity["entity_class"] = PROXY_CLASS
    subscriptions = list(entity.get("subscriptions") or [])
    if f"entity:{name}" not in subscriptions:
        subscriptions.append(f"entity:{name}")
    entity["subscriptions"] = subscriptions
    meta = entity.setdefault("metadata", {})
    meta["namespace"] = namespace
    if created_by:
        meta["created_by"] = created_by
    return entity


def target_entity(event: Doc) -> str | None:
    """The entity name eventd resolves, or None for agent entities (keepalives own those)."""
    check = event["check"]
    if check.get("proxy_entity_name"):
        return str(check["proxy_entity_name"])
    if event["entity"].get("entity_class") == AGENT_CLASS:
        return None
    return _name(event["entity"])


class _StoredCheck(msgspec.Struct):
    # What the state rules (``merge_history``) and the TTL deadlines read of the stored check.
    history: Any = None
    last_ok: Any = None
    occurrences: Any = None
    occurrences_watermark: Any = None
    ttl: Any = None


class _StoredEvent(msgspec.Struct):
    check: _StoredCheck | None = None


_stored_event = msgspec.json.Decoder(_StoredEvent)


def previous_state(value: bytes) -> Doc:
    """The part of a stored event that the next result is merged with: its check's history
    and counters and its ttl. Decoding only those skips the entity, the output and the
    rest (half the cost of decoding the whole event)."""
    try:
        check = _stored_event.decode(value).check
    except msgspec.ValidationError:  # not shaped as we write it: read it all
        return msgspec.json.decode(value)  # type: ignore[no-any-return]
    if check is None:
        return {}
    return {
        "check": {f: v for f in check.__struct_fields__ if (v := getattr(check, f)) is not None}
    }


class EventProcessor:
    """Ingests events: ``await ingest(event, namespace=..., created_by=...)``."""

    def __init__(self, store: Store, settings: Settings, on_stored: OnStored | None = None) -> None:
        self.store = store
        self.settings = settings
        self.on_stored = on_stored
        # Wired at start-up (``watch_with``); until then keepalives are stored as plain events.
        self.keepalives: KeepaliveWatch | None = None
        self.check_ttls: DeadlineWatch | None = None
        self._locks = KeyedLocks()
        self._silences: dict[str, tuple[float, list[Doc]]] = {}
        self._listening = False

    def watch_with(self, keepalives: KeepaliveWatch, check_ttls: DeadlineWatch) -> None:
        """Start-up wiring: keepalives go to ``keepalives``; both monitors are run by the
        periodic jobs (``vigil.pipeline.keepalive.wire`` builds them)."""
        self.keepalives = keepalives
        self.check_ttls = check_ttls

    # --- entry points ---------------------------------------------------------------------
    async def ingest(self, event: Doc, *, namespace: str, created_by: str | None = None) -> Doc:
        """Store ``event`` (durably) and pass it on; return the event the pipeline receives.

        Raises InvalidArgument for an invalid event. A ``keepalive`` check refreshes the
        entity's keepalive deadline and is stored as Sensu's OK keepalive event.
        """
        return await self.ingest_prepared(prepare_incoming(event, namespace, created_by), namespace)

    async def ingest_event(
        self, event: Event, *, namespace: str, created_by: str | None = None
    ) -> Doc:
        """``ingest`` of an event already decoded into its type (changed in place)."""
        return await self.ingest_prepared(prepare_event(event, namespace, created_by), namespace)

    async def ingest_prepared(self, prepared: Doc, namespace: str) -> Doc:
        """``ingest`` of an event ``prepare_incoming`` has already normalised and validated."""
        check = prepared.get("check")
        if not isinstance(check, dict):
            self.emit(prepared)
            return prepared
        if _name(check) == dl.KEEPALIVE and self.keepalives is not None:
            return await self.keepalives.receive(prepared, namespace)
        return await self.process(prepared, namespace)

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
    ) -> Doc:
        """Merge, store and emit an already prepared event with a check (see ``Commit``)."""
        options = Commit(last_seen, extra_ops, silence, retry, now)
        key = (namespace, target_entity(event) or _name(event["entity"]), _name(event["check"]))
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                async with self._locks.hold(key):
                    merged = await self._commit(_writable(event), namespace, options)
                break
            except (AlreadyExists, PreconditionFailed):
                if attempt == WRITE_ATTEMPTS or not options.retry:
                    raise
        self.emit(merged)
        return merged

    def emit(self, event: Doc) -> None:
        """Hand a committed (or never-stored) event to the pipeline; never raises."""
        if self.on_stored is None:
            return
        try:
            self.on_stored(event)
        except Exception:
            log.exception("pipeline hand-off failed", extra={"event_id": event.get("id")})

    async def delete_event(self, namespace: str, entity: str, check: str) -> None:
        """Delete one event (NotFound if absent) and stop its keepalive or TTL monitoring."""
        name = f"{entity}/{check}"
        ops: list[Op] = [
            Delete(EVENTS, namespace, name),
            Delete(dl.TTL_KIND, namespace, name, missing_ok=True),
        ]
        if check == dl.KEEPALIVE:
            ops.append(Delete(dl.KIND, namespace, entity, missing_ok=True))
        await self.store.apply(ops)

    # --- one commit -----------------------------------------------------------------------
    async def _commit(self, event: Doc, namespace: str, options: Commit) -> Doc:
        clock = time.time() if options.now is None else float(options.now)
        now = int(clock)
        ops: list[Op] = list(options.extra_ops)  # first: their conditions see the old rows
        # Both rows this event needs, in one read (one round trip on PostgreSQL): the stored
        # event and, when one is resolved, the entity. The event's key does not depend on
        # the resolution (a resolved entity keeps the name it was looked up by).
        resolved = target_entity(event)
        entity_key = resolved or _name(event["entity"])
        keys: list[Key] = [(EVENTS, namespace, f"{entity_key}/{_name(event['check'])}")]
        if resolved is not None or options.last_seen is not None:
            keys.append((ENTITIES, namespace, entity_key))
        stored, *entity_record = await self.store.get_many(keys)
        if entity_record:
            entity_op = self._resolve_entity(
                event, namespace, resolved, entity_record[0], options.last_seen
            )
            if entity_op is not None:
                ops.append(entity_op)
        silences = await self.silences(namespace) if options.silence else []
        check = event["check"]
        if options.silence:
            check["silenced"] = silenced_by(event, silences, now)
            if check["silenced"]:
                check["is_silenced"] = True
        previous = None if stored is None else previous_state(stored.value)
        previous_revision = 0 if stored is None else stored.revision
        merged = apply_check_result(previous, event, now)
        expired = resolved_expire_on_resolve(merged, silences)
        if expired:
            merged["check"]["silenced"] = [n for n in check["silenced"] if n not in expired]
            ops.extend(Delete(SILENCED, namespace, name, missing_ok=True) for name in expired)
        # Conditional on the event read above: a concurrent result for the same check (on
        # another backend sharing the store) makes this attempt fail and retry on fresh reads.
        ops.append(event_put(namespace, storage_form(merged), previous_revision))
        ops.extend(dl.check_ttl_ops(namespace, merged, previous, now, clock))
        await self.store.apply(ops)
        if expired:
            await self.silences_changed()
        return merged

    def _resolve_entity(
        self,
        event: Doc,
        namespace: str,
        name: str | None,
        record: Record | None,
        last_seen: int | None,
    ) -> Put | None:
        """Swap in the stored entity ``record`` (or create it); return the entity write, if
        any. ``name`` is the resolved entity's name, None for an agent's own entity."""
        lookup = name or _name(event["entity"])
        if record is None and name is None:
            event["entity"]["last_seen"] = last_seen
            return None  # an agent that never registered: nothing stored to update
        if record is None:
            entity = new_proxy_entity(event, lookup, namespace)
            revision = 0
        else:
            entity = msgspec.json.decode(record.value)
            revision = record.revision
        if name is not None:
            event["entity"] = entity
        if last_seen is not None:
            entity["last_seen"] = last_seen
            event["entity"]["last_seen"] = last_seen
        elif revision:
            return None  # existing entity, unchanged
        return entity_put(namespace, entity, revision)

    async def silences(self, namespace: str) -> list[Doc]:
        """The namespace's silences, from memory unless a write was announced since (or
        ``SILENCES_TTL`` passed): reading and decoding them cost more than the rest of an
        event's checks."""
        if not self._listening:
            self._listening = True
            await self.store.listen(SILENCES_CHANNEL, self.forget_silences)
        cached = self._silences.get(namespace)
        if cached is not None and time.monotonic() - cached[0] < SILENCES_TTL:
            return cached[1]
        loaded_at = time.monotonic()
        records = await self.store.list(ListQuery(SILENCED, namespace=namespace))
        silences = [msgspec.json.decode(r.value) for r in records]
        self._silences[namespace] = (loaded_at, silences)
        return silences

    def forget_silences(self, _payload: str = "") -> None:
        self._silences.clear()

    async def silences_changed(self) -> None:
        """Call after writing silenced entries: here and on every other backend, the next
        event reads them afresh."""
        self.forget_silences()
        try:
            await self.store.notify(SILENCES_CHANNEL, "changed")
        except Exception:  # the ttl still bounds staleness elsewhere
            log.warning("cannot tell other backends that silences changed")
