"""What travels on an agent websocket: frames, Go-semantics JSON, and the entity config.

A frame is one binary websocket message, ``<type>\\n<payload>`` (sensu-go ``transport``).
Vigil answers the handshake with ``Accept: application/json`` only, so a stock agent speaks
JSON: the payloads are Go's ``encoding/json`` rendering of the core/v2 and core/v3 structs.
Go writes empty lists as ``null`` and reads ``null`` as "not given", so incoming documents
lose their ``null`` members before they are validated.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from vigil.errors import InvalidArgument

KEEPALIVE = "keepalive"
EVENT = "event"
CHECK_REQUEST = "check_request"
ENTITY_CONFIG = "entity_config"
JSON = "application/json"
PROTOBUF = "application/octet-stream"
ENTITY_NOT_FOUND = "not found"  # core/v3 EntityNotFound: "keep your local entity"
MANAGED_BY = "sensu.io/managed_by"
AGENT_CLASS = "agent"

Doc = dict[str, Any]


def encode(message_type: str, payload: bytes) -> bytes:
    return message_type.encode() + b"\n" + payload


def decode(frame: bytes) -> tuple[str, bytes]:
    """(type, payload); InvalidArgument when there is no newline."""
    message_type, sep, payload = frame.partition(b"\n")
    if not sep:
        raise InvalidArgument("invalid message")
    try:
        return message_type.decode(), payload
    except UnicodeDecodeError:
        raise InvalidArgument("invalid message type") from None


def without_nulls(value: Any) -> Any:
    """``value`` with every ``null`` object member removed, at any depth (Go's reading)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def decode_event(payload: bytes) -> Doc:
    """A core/v2 Event document read as Go reads it; InvalidArgument when it is not one."""
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(f"invalid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise InvalidArgument("an event must be a JSON object")
    event: Doc = without_nulls(doc)
    for part in ("entity", "check", "metadata", "metrics"):
        if part in event and not isinstance(event[part], dict):
            raise InvalidArgument(f"{part} must be an object")
    if not isinstance(event.get("entity"), dict):
        raise InvalidArgument("entity must be set")
    return event


def _meta(entity: Doc) -> Doc:
    meta = entity.get("metadata")
    return meta if isinstance(meta, dict) else {}


def entity_config(entity: Doc) -> Doc:
    """The core/v3 EntityConfig of a stored entity, keys in Go's order and omitempty rules."""
    meta = _meta(entity)
    out_meta: Doc = {"name": meta.get("name") or ""}
    for key in ("namespace", "labels", "annotations", "created_by"):
        if meta.get(key):
            out_meta[key] = meta[key]
    config: Doc = {"metadata": out_meta, "entity_class": entity.get("entity_class") or ""}
    if entity.get("user"):
        config["user"] = entity["user"]
    config["subscriptions"] = list(entity.get("subscriptions") or []) or None
    config["deregister"] = bool(entity.get("deregister"))
    handler = (entity.get("deregistration") or {}).get("handler")
    config["deregistration"] = {"handler": handler} if handler else {}
    if entity.get("keepalive_handlers"):
        config["keepalive_handlers"] = list(entity["keepalive_handlers"])
    if entity.get("redact"):
        config["redact"] = list(entity["redact"])
    return config


def not_found_config(namespace: str) -> Doc:
    """What Sensu sends when no entity is stored: the agent keeps its local entity."""
    return {
        "metadata": {"name": ENTITY_NOT_FOUND, "namespace": namespace},
        "entity_class": AGENT_CLASS,
        "subscriptions": None,
        "deregister": False,
        "deregistration": {},
    }


def without_managed_label(config: Doc) -> Doc:
    """The first config of a session leaves out ``sensu.io/managed_by`` (as Sensu does)."""
    labels = config["metadata"].get("labels")
    if not labels or MANAGED_BY not in labels:
        return config
    rest = {k: v for k, v in labels.items() if k != MANAGED_BY}
    meta = {k: v for k, v in config["metadata"].items() if k != "labels"}
    if rest:
        meta["labels"] = rest
    return {**config, "metadata": {**meta}}


def dumps(doc: Doc) -> bytes:
    return orjson.dumps(doc)


def digest(config: Doc) -> str:
    """A short fingerprint of an entity config: equal configs, equal digests."""
    return hashlib.blake2b(
        orjson.dumps(config, option=orjson.OPT_SORT_KEYS), digest_size=8
    ).hexdigest()
