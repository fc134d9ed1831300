"""What every resource type offers the API, the store and the selectors.

A resource type is a msgspec ``Struct`` subclass of ``Resource`` with class-level facts
(``TYPE``, ``PLURAL``, ``NAMESPACED``, ``FIELD_PREFIX``) and a handful of methods. The generic
CRUD in ``vigil.api.resources`` only talks to this interface, so adding a type means adding a
Struct and a registry entry (``vigil.model.registry``), never new endpoint code.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self, TypeVar

import msgspec

from vigil.errors import InvalidArgument


class ObjectMeta(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Sensu's metadata: every field is omitted from JSON when empty."""

    name: str = ""
    namespace: str = ""
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    created_by: str = ""


class Resource(msgspec.Struct, kw_only=True):
    TYPE: ClassVar[str]  # Sensu's type name: "CheckConfig", "Entity", ...
    PLURAL: ClassVar[str]  # URL segment and RBAC resource: "checks"
    NAMESPACED: ClassVar[bool] = True
    FIELD_PREFIX: ClassVar[str]  # field-selector prefix: "check"
    API_VERSION: ClassVar[str] = "core/v2"

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


def decode(cls: type[R], body: bytes) -> R:
    """Decode JSON into ``cls``; malformed input is InvalidArgument with the decoder's words."""
    try:
        return msgspec.json.decode(body, type=cls)
    except msgspec.ValidationError as exc:
        raise InvalidArgument(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise InvalidArgument(f"malformed JSON: {exc}") from None
    except RecursionError:
        raise InvalidArgument("malformed JSON: nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise InvalidArgument(f"malformed JSON: invalid UTF-8 at byte {exc.start}") from None
