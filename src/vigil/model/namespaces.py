"""Namespace (``namespaces``): ``{"name": ...}`` only; no metadata in core/v2."""

from __future__ import annotations

from typing import ClassVar

from vigil.model.base import Access, Columns, Resource
from vigil.model.meta import check_name, shown


class Namespace(Resource, kw_only=True):
    TYPE: ClassVar[str] = "Namespace"
    PLURAL: ClassVar[str] = "namespaces"
    NAMESPACED: ClassVar[bool] = False
    FIELD_PREFIX: ClassVar[str] = "namespace"
    CLI_NAME: ClassVar[str] = "namespace"
    CLI_COLUMNS: ClassVar[Columns] = (("Name", "name"),)
    DEFAULT_ACCESS: ClassVar[Access] = "read"
    REVEALS_NAMESPACES: ClassVar[bool] = True

    name: str = shown(str)

    def key_name(self) -> str:
        return self.name

    def validate(self) -> None:
        check_name("namespace", self.name)

    def fields(self) -> dict[str, str]:
        return {"namespace.name": self.name}
