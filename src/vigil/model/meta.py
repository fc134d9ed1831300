"""Name rules, rendering helpers and small shared checks for every core/v2 type.

Rendering follows Sensu's Go JSON tags, which mix three behaviours inside one object:

* omitted when empty (``omitempty``): a plain default (``""``, ``0``, ``False``, ``None``) or
  ``msgspec.field(default_factory=list)``; the Struct sets ``omit_defaults=True``.
* always present, even at the zero value: ``shown()`` / ``shown_list()``. msgspec only treats a
  default as "empty" when it is the very default object or an empty container made by the
  ``list``/``dict`` factories, so a factory of our own is never omitted.
* ``null`` when unset (Go nil slices and pointers): ``shown_none()``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, NoReturn

import msgspec

from vigil.errors import InvalidArgument
from vigil.model.base import ObjectMeta

# Go's \w is ASCII only, hence re.ASCII.
NAME_RE = re.compile(r"[\w.\-:]+", re.ASCII)
STRICT_RE = re.compile(r"[a-z0-9_.\-]+", re.ASCII)
SUBSCRIPTION_RE = re.compile(r"[\w.\-]+(:?[\w.\-]+)?", re.ASCII)
ASSET_RE = re.compile(r"[\w/_.\-:]+", re.ASCII)

EMPTY = "must not be empty"
SPECIAL = "cannot contain spaces or special characters"

UInt32 = Annotated[int, msgspec.Meta(ge=0, le=2**32 - 1)]
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


# --- rendering helpers ------------------------------------------------------------------
def _zero() -> int:
    return 0


def _false() -> bool:
    return False


def _blank() -> str:
    return ""


def _none() -> None:
    return None


def _new_list() -> list[Any]:
    return []


_SHOWN_FACTORIES: dict[type, Any] = {int: _zero, bool: _false, str: _blank}


def shown(kind: type[Any]) -> Any:
    """A zero default that is still rendered (Go field without ``omitempty``)."""
    return msgspec.field(default_factory=_SHOWN_FACTORIES[kind])


def shown_none() -> Any:
    """A ``None`` default rendered as ``null`` (Go nil slice or pointer)."""
    return msgspec.field(default_factory=_none)


def shown_list() -> Any:
    """An empty list that is rendered as ``[]``."""
    return msgspec.field(default_factory=_new_list)


def new_meta() -> Any:
    return msgspec.field(default_factory=ObjectMeta)


# --- errors and name rules --------------------------------------------------------------
def fail(message: str) -> NoReturn:
    raise InvalidArgument(message)


def _regex_error(regex: re.Pattern[str], name: str) -> str | None:
    if not name:
        return EMPTY
    if regex.fullmatch(name) is None:
        return SPECIAL
    return None


def name_error(name: str) -> str | None:
    """Sensu's ``ValidateName``: the bare reason, to be prefixed by the caller."""
    return _regex_error(NAME_RE, name)


def strict_name_error(name: str) -> str | None:
    return _regex_error(STRICT_RE, name)


def subscription_name_error(name: str) -> str | None:
    return _regex_error(SUBSCRIPTION_RE, name)


def asset_name_error(name: str) -> str | None:
    """Sensu's asset-name reason already says "name": ``name must not be empty``."""
    reason = _regex_error(ASSET_RE, name)
    return None if reason is None else f"name {reason}"


def check_name(thing: str, name: str) -> None:
    """Raise ``<thing> name <reason>`` when ``name`` breaks the general name rule."""
    reason = name_error(name)
    if reason:
        fail(f"{thing} name {reason}")


def check_subscription_name(thing: str, name: str) -> None:
    reason = subscription_name_error(name)
    if reason:
        fail(f"{thing} name {reason}")


def check_asset_names(names: Iterable[str] | None) -> None:
    for asset in names or ():
        reason = asset_name_error(asset)
        if reason:
            fail(f"asset's {reason}")


def require_namespace(meta: ObjectMeta) -> None:
    if not meta.namespace:
        fail("namespace must be set")


# --- selector fields --------------------------------------------------------------------
def join(values: Iterable[str] | None) -> str:
    return ",".join(values or ())


def text(flag: bool) -> str:
    return "true" if flag else "false"


def with_labels(
    prefix: str, fields: dict[str, str], labels: Mapping[str, str] | None
) -> dict[str, str]:
    """Add ``<prefix>.labels.<key>`` for every label, as Sensu's field sets do."""
    for key, value in (labels or {}).items():
        fields[f"{prefix}.labels.{key}"] = value
    return fields


def meta_fields(prefix: str, meta: ObjectMeta, namespaced: bool = True) -> dict[str, str]:
    """``<prefix>.name`` (and ``.namespace``) with the label fields already merged in."""
    fields = {f"{prefix}.name": meta.name}
    if namespaced:
        fields[f"{prefix}.namespace"] = meta.namespace
    return with_labels(prefix, fields, meta.labels)
