"""The resource kinds vigilctl knows: CLI name, wrapped type, URL plural and scope.

Read from the server's registry (each model declares ``CLI_NAME`` and ``CLI_CREATABLE``), so a
kind the server serves is a kind vigilctl lists, shows, deletes, creates and dumps.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from vigil.model.base import Resource
from vigil.model.registry import REGISTRY
from vigil.model.tessen import TessenConfig

CORE_V2 = "core/v2"
API_PREFIX = "/api/core/v2"


@dataclass(frozen=True)
class Kind:
    """One API resource type as the client sees it."""

    cli: str  # command name: `vigilctl <cli> list`
    type: str  # wrapped `type` field
    plural: str  # URL segment
    namespaced: bool
    creatable: bool = True
    singleton: bool = False  # one unnamed object at the collection URL (TessenConfig)

    @property
    def qualified(self) -> str:
        return f"{CORE_V2}.{self.type}"

    def collection_path(self, namespace: str | None) -> str:
        """List/create URL; `namespace=None` means across all namespaces (or cluster-wide)."""
        if self.namespaced and namespace is not None:
            return f"{API_PREFIX}/namespaces/{segment(namespace)}/{self.plural}"
        return f"{API_PREFIX}/{self.plural}"

    def object_path(self, namespace: str | None, *names: str) -> str:
        if self.singleton:
            return self.collection_path(None)
        parts = "/".join(segment(n) for n in names)
        return f"{self.collection_path(namespace)}/{parts}"


def segment(value: str) -> str:
    """Percent-encode one path segment like Go's PathEscape: `/` (assets) travels as %2F."""
    return quote(value, safe=":@$&+=")


def _kind_of(cls: type[Resource]) -> Kind:
    return Kind(cls.CLI_NAME, cls.TYPE, cls.PLURAL, cls.NAMESPACED, cls.CLI_CREATABLE)


# In the registry's dependency order, which is the order `dump` writes.
KINDS: tuple[Kind, ...] = tuple(_kind_of(cls) for cls in REGISTRY.values())

# The call-home setting is served at its own URL, not as a generic kind, but sensuctl dumps,
# creates and edits it like one (after the cluster-wide kinds, before the namespaced ones).
TESSEN = Kind("tessen", TessenConfig.TYPE, TessenConfig.PLURAL, False, singleton=True)
_FIRST_NAMESPACED = next((i for i, k in enumerate(KINDS) if k.namespaced), len(KINDS))
DUMP_KINDS: tuple[Kind, ...] = (*KINDS[:_FIRST_NAMESPACED], TESSEN, *KINDS[_FIRST_NAMESPACED:])

_BY_NAME: dict[str, Kind] = {}
for _kind in DUMP_KINDS:
    _aliases = (_kind.cli, _kind.type, _kind.plural, _kind.qualified, _kind.cli.replace("-", ""))
    for _alias in _aliases:
        _BY_NAME[_alias.lower()] = _kind


def find_kind(name: str) -> Kind | None:
    """Resolve `check`, `checks`, `CheckConfig` or `core/v2.CheckConfig` (case-insensitive)."""
    return _BY_NAME.get(name.strip().lower())


def kind_of_type(type_name: str, api_version: str = CORE_V2) -> Kind | None:
    if api_version and api_version != CORE_V2:
        return None
    return find_kind(type_name)
