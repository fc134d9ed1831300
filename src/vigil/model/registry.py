"""The one lookup from URL plural or sensuctl type name to a resource class."""

from __future__ import annotations

from collections.abc import Mapping
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

_TYPES: tuple[type[Resource], ...] = (
    Asset,
    CheckConfig,
    Entity,
    Event,
    EventFilter,
    Handler,
    HookConfig,
    Mutator,
    Pipeline,
    Silenced,
    Namespace,
    User,
    APIKey,
    Role,
    RoleBinding,
    ClusterRole,
    ClusterRoleBinding,
)

REGISTRY: Mapping[str, type[Resource]] = MappingProxyType({cls.PLURAL: cls for cls in _TYPES})

_SHORT_NAMES: dict[str, type[Resource]] = {
    "Check": CheckConfig,
    "Hook": HookConfig,
    "Filter": EventFilter,
}
_BY_TYPE: Mapping[str, type[Resource]] = MappingProxyType(
    {**{cls.TYPE: cls for cls in _TYPES}, **_SHORT_NAMES}
)


def lookup(group: str, version: str, plural: str) -> type[Resource] | None:
    """The class served at ``/api/<group>/<version>/.../<plural>``; only core/v2 exists."""
    if (group, version) != (GROUP, VERSION):
        return None
    return REGISTRY.get(plural)


def by_type_name(name: str) -> type[Resource] | None:
    """The class for a sensuctl ``type:`` value (``CheckConfig``, also ``Check``...)."""
    return _BY_TYPE.get(name)
