"""What every resource type offers the API, the store and the selectors.

A resource type is a msgspec ``Struct`` subclass of ``Resource`` with class-level facts
(``TYPE``, ``PLURAL``, ``NAMESPACED``, ``FIELD_PREFIX`` and the facts below) and a handful of
methods. Every list of kinds elsewhere (routes, namespace contents, ``/metrics``, default
roles, namespace visibility, vigilctl) is derived from these facts through
``vigil.model.registry``, so adding a type means adding a Struct and a registry entry, never
new endpoint code or another list to keep in step.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self, TypeVar

import msgspec

from vigil.errors import InvalidArgument


class ObjectMeta(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Sensu's metadata: every field is omitted from JSON when empty."""

    name: str = ""
    namespace: str = ""
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    created_by: str = ""


# What the default cluster roles grant on a kind: "edit" = view/edit/admin (get, list; all
# verbs for edit and admin), "admin" = only admin (all verbs), "read" = get and list for
# view/edit/admin, "none" = cluster-admin alone.
Access = Literal["edit", "admin", "read", "none"]
# vigilctl's table: (header, value). The value is a dotted JSON path ("check.status") or a
# named presentation from ``vigil.ctl.columns`` ("@name", "@time:last_seen").
Columns = tuple[tuple[str, str], ...]


class Resource(msgspec.Struct, kw_only=True):
    TYPE: ClassVar[str]  # Sensu's type name: "CheckConfig", "Entity", ...
    PLURAL: ClassVar[str]  # URL segment and RBAC resource: "checks"
    NAMESPACED: ClassVar[bool] = True
    FIELD_PREFIX: ClassVar[str]  # field-selector prefix: "check"
    API_VERSION: ClassVar[str] = "core/v2"
    # A namespace that still holds one of these cannot be deleted (409).
    NAMESPACE_CONTENT: ClassVar[bool] = False
    COUNTED: ClassVar[bool] = True  # ``vigil_resources{kind=...}`` in /metrics
    DEFAULT_ACCESS: ClassVar[Access] = "none"
    # A cluster-wide rule that may get this kind lets its holder see every namespace.
    REVEALS_NAMESPACES: ClassVar[bool] = False
    # Path segments after ``/<plural>/<name>/`` the API serves (their handlers: api.routes).
    SUBRESOURCES: ClassVar[tuple[str, ...]] = ()
    CLI_NAME: ClassVar[str]  # vigilctl's command: ``vigilctl <CLI_NAME> list``
    CLI_CREATABLE: ClassVar[bool] = True  # ``vigilctl create -f`` may write it
    CLI_COLUMNS: ClassVar[Columns] = (("Name", "@name"),)

    # --- identity ---------------------------------------------------------------------
    def key_name(self) -> str:
        meta: ObjectMeta = getattr(self, "metadata")  # noqa: B009
        return meta.name

    def key_namespace(self) -> str:
        if not self.NAMESPACED:
            return ""
        meta: ObjectMeta = getattr(self, "metadata")  # noqa: B009
        return meta.namespace

    def set_created_by(self, username: str) -> None:
        meta = getattr(self, "metadata", None)
        if isinstance(meta, ObjectMeta):
            meta.created_by = username

    # --- rules --------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise InvalidArgument with Sensu's message when the resource breaks a rule."""

    def fields(self) -> dict[str, str]:
        """The flat string map field selectors read (Sensu's ``*Fields`` functions)."""
        return {}

    def labels(self) -> dict[str, str]:
        meta = getattr(self, "metadata", None)
        if isinstance(meta, ObjectMeta) and meta.labels:
            return dict(meta.labels)
        return {}

    def public(self) -> Self:
        """The form clients may see (users drop password material)."""
        return self


_encoder = msgspec.json.Encoder()


def encode(obj: Any) -> bytes:
    return _encoder.encode(obj)


R = TypeVar("R", bound=Resource)


def without_nulls(value: Any) -> Any:
    """Go's ``encoding/json`` leaves a field as it was when it reads ``null``, and every Sensu
    client was written against that: a ``null`` member is the same as a missing one."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def decode(cls: type[R], body: bytes) -> R:
    """Decode a client's JSON into ``cls`` (``null`` = not given, at any depth); malformed
    input is InvalidArgument with the decoder's words."""
    try:
        if b"null" not in body:  # the common case: one typed pass
            return msgspec.json.decode(body, type=cls)
        return msgspec.convert(without_nulls(msgspec.json.decode(body)) or {}, type=cls)
    except msgspec.ValidationError as exc:
        raise InvalidArgument(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise InvalidArgument(f"malformed JSON: {exc}") from None
    except RecursionError:
        raise InvalidArgument("malformed JSON: nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise InvalidArgument(f"malformed JSON: invalid UTF-8 at byte {exc.start}") from None
