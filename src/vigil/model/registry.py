"""The one list of kinds: URL plural or sensuctl type name -> resource class.

Everything that needs "all kinds that ..." asks here (``kinds_where``), reading the facts each
class declares (``vigil.model.base.Resource``); no other module keeps a list of kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from vigil.model.assets import Asset
from vigil.model.base import Resource
from vigil.model.checks import CheckConfig
from vigil.model.entities import Entity
from vigil.model.events import Event
from vigil.model.hooks import HookConfig
from vigil.model.namespaces import Namespace
from vigil.model.pipeline import EventFilter, Handler, Mutator, Pipeline
from vigil.model.rbac import ClusterRole, ClusterRoleBinding, Role, RoleBinding
from vigil.model.silenced import Silenced
from vigil.model.users import APIKey, User

GROUP = "core"
VERSION = "v2"

# In dependency order (what a kind refers to comes first), the order dumps are written in.
_TYPES: tuple[type[Resource], ...] = (
    Namespace,
    ClusterRole,
    ClusterRoleBinding,
    User,
    APIKey,
    Role,
    RoleBinding,
    Asset,
    HookConfig,
    EventFilter,
    Mutator,
    Handler,
    Pipeline,
    CheckConfig,
    Entity,
    Silenced,
    Event,
)

_mutable: dict[str, type[Resource]] = {cls.PLURAL: cls for cls in _TYPES}
REGISTRY: Mapping[str, type[Resource]] = MappingProxyType(_mutable)


def kinds_where(test: Callable[[type[Resource]], bool]) -> tuple[str, ...]:
    """Plurals of the registered kinds for which ``test(cls)`` holds, in registry order."""
    return tuple(plural for plural, cls in REGISTRY.items() if test(cls))


def register(cls: type[Resource]) -> None:
    """Add a kind at run time (a plugin, or a test's throwaway kind); ``unregister`` undoes it."""
    _mutable[cls.PLURAL] = cls
    _by_type[cls.TYPE] = cls


def unregister(cls: type[Resource]) -> None:
    _mutable.pop(cls.PLURAL, None)
    _by_type.pop(cls.TYPE, None)


_SHORT_NAMES: dict[str, type[Resource]] = {
    "Check": CheckConfig,
    "Hook": HookConfig,
    "Filter": EventFilter,
}
_by_type: dict[str, type[Resource]] = {**{cls.TYPE: cls for cls in _TYPES}, **_SHORT_NAMES}
_BY_TYPE: Mapping[str, type[Resource]] = MappingProxyType(_by_type)


def lookup(group: str, version: str, plural: str) -> type[Resource] | None:
    """The class served at ``/api/<group>/<version>/.../<plural>``; only core/v2 exists."""
    if (group, version) != (GROUP, VERSION):
        return None
    return REGISTRY.get(plural)


def by_type_name(name: str) -> type[Resource] | None:
    """The class for a sensuctl ``type:`` value (``CheckConfig``, also ``Check``...)."""
    return _BY_TYPE.get(name)
