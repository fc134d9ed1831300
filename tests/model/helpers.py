"""Small helpers shared by the model tests."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
import orjson

from vigil.errors import InvalidArgument
from vigil.model.base import encode

T = TypeVar("T")


def problem(obj: Any) -> str | None:
    """The validation message, or None when the resource is valid."""
    try:
        obj.validate()
    except InvalidArgument as exc:
        return exc.message
    return None


def load(cls: type[T], document: dict[str, Any]) -> T:
    """Decode a JSON document as the API does (any Struct, not only resources)."""
    result: T = msgspec.json.decode(orjson.dumps(document), type=cls)
    return result


def rendered(obj: msgspec.Struct) -> Any:
    return orjson.loads(encode(obj))
