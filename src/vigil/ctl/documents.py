"""`create -f` input: wrapped documents parsed from YAML or JSON and routed to their URIs.

Accepted input: YAML (several documents separated by `---`), concatenated JSON objects, or a
JSON array of documents. Each document is `{type, api_version, metadata, spec}`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from vigil.ctl.errors import CtlError
from vigil.ctl.kinds import CORE_V2, Kind, kind_of_type, segment

Document = dict[str, Any]


@dataclass(frozen=True)
class Request:
    """One write `create` performs: `PUT path` with the unwrapped `body`."""

    method: str
    path: str
    body: dict[str, Any]
    label: str  # how messages name the resource, e.g. `CheckConfig disk`


def parse_documents(text: str) -> list[Document]:
    """Split input into documents; JSON is tried first because concatenated JSON is not YAML."""
    stripped = text.strip()
    if not stripped:
        return []
    if stripped[0] in "{[":
        try:
            return _checked(list(_json_documents(stripped)))
        except ValueError:
            pass  # e.g. YAML flow mappings; let the YAML parser judge
    try:
        loaded = [doc for doc in yaml.safe_load_all(stripped) if doc is not None]
    except yaml.YAMLError as exc:
        raise CtlError(f"cannot parse input as YAML or JSON: {exc}") from exc
    return _checked(loaded)


def _json_documents(text: str) -> Iterator[Any]:
    decoder = json.JSONDecoder()
    position = 0
    while position < len(text):
        value, position = decoder.raw_decode(text, position)
        if isinstance(value, list):
            yield from value
        else:
            yield value
        while position < len(text) and text[position].isspace():
            position += 1


def _checked(documents: list[Any]) -> list[Document]:
    for index, doc in enumerate(documents, start=1):
        if not isinstance(doc, dict):
            raise CtlError(f"document {index} is not a mapping")
        if not doc.get("type"):
            raise CtlError(f"document {index} has no `type`")
    return documents


def document_kind(doc: Mapping[str, Any]) -> Kind:
    type_name = str(doc.get("type", ""))
    api_version = str(doc.get("api_version") or CORE_V2)
    kind = kind_of_type(type_name, api_version)
    if kind is None:
        raise CtlError(f"unsupported resource type {api_version}.{type_name}")
    if not kind.creatable:
        raise CtlError(f"{kind.type} resources cannot be created with `create`")
    return kind


def unwrap(doc: Mapping[str, Any], kind: Kind, namespace: str) -> dict[str, Any]:
    """The core/v2 body: the spec with `metadata` put back; a missing namespace is filled in."""
    body = dict(doc.get("spec") or {})
    metadata = dict(doc.get("metadata") or {})
    if kind.namespaced and not metadata.get("namespace"):
        metadata["namespace"] = namespace
    if metadata or kind.type not in ("Namespace", "User"):
        body["metadata"] = metadata
    return body


def silenced_name(body: Mapping[str, Any]) -> str:
    """Silences are named `<subscription or *>:<check or *>` by the server."""
    return f"{body.get('subscription') or '*'}:{body.get('check') or '*'}"


def _names(kind: Kind, body: dict[str, Any]) -> list[str]:
    if kind.type == "Namespace":
        return [str(body.get("name", ""))]
    if kind.type == "User":
        return [str(body.get("username", ""))]
    if kind.type == "Event":
        entity = ((body.get("entity") or {}).get("metadata") or {}).get("name", "")
        check = ((body.get("check") or {}).get("metadata") or {}).get("name", "")
        return [str(entity), str(check)]
    name = str((body.get("metadata") or {}).get("name", ""))
    if kind.type == "Silenced" and not name:
        name = silenced_name(body)
        body["metadata"]["name"] = name
    return [name]


def to_request(doc: Mapping[str, Any], namespace: str) -> Request:
    """Route one document: PUT to its object URI (create-or-replace, as sensuctl does)."""
    kind = document_kind(doc)
    if kind.singleton:
        return Request("PUT", kind.object_path(None), dict(doc.get("spec") or {}), kind.type)
    body = unwrap(doc, kind, namespace)
    names = _names(kind, body)
    label = f"{kind.type} {'/'.join(names)}".strip()
    if not all(names):
        raise CtlError(f"{label}: the resource has no name")
    target_ns = str(body["metadata"]["namespace"]) if kind.namespaced else None
    path = kind.collection_path(target_ns) + "/" + "/".join(segment(n) for n in names)
    return Request("PUT", path, body, label)
