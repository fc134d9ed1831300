"""Registry lookups by URL plural and by sensuctl type name."""

from __future__ import annotations

import pytest

from vigil.model.base import Resource
from vigil.model.registry import REGISTRY, by_type_name, lookup

PLURALS = {
    "assets": "Asset",
    "checks": "CheckConfig",
    "entities": "Entity",
    "events": "Event",
    "filters": "EventFilter",
    "handlers": "Handler",
    "hooks": "HookConfig",
    "mutators": "Mutator",
    "pipelines": "Pipeline",
    "silenced": "Silenced",
    "namespaces": "Namespace",
    "users": "User",
    "apikeys": "APIKey",
    "roles": "Role",
    "rolebindings": "RoleBinding",
    "clusterroles": "ClusterRole",
    "clusterrolebindings": "ClusterRoleBinding",
}
CLUSTER_WIDE = {"namespaces", "users", "apikeys", "clusterroles", "clusterrolebindings"}


def test_registry_holds_every_type() -> None:
    assert {plural: cls.TYPE for plural, cls in REGISTRY.items()} == PLURALS


@pytest.mark.parametrize("plural", sorted(PLURALS), ids=sorted(PLURALS))
def test_lookup_core_v2(plural: str) -> None:
    cls = lookup("core", "v2", plural)
    assert cls is not None and issubclass(cls, Resource)
    assert plural == cls.PLURAL
    assert (plural not in CLUSTER_WIDE) == cls.NAMESPACED
    assert by_type_name(cls.TYPE) is cls
    assert cls.API_VERSION == "core/v2"


@pytest.mark.parametrize(
    ("group", "version", "plural"),
    [
        ("core", "v3", "checks"),
        ("enterprise", "v2", "checks"),
        ("core", "v2", "widgets"),
    ],
    ids=["other_version", "other_group", "unknown_plural"],
)
def test_lookup_misses(group: str, version: str, plural: str) -> None:
    assert lookup(group, version, plural) is None


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("Check", "CheckConfig"),
        ("Hook", "HookConfig"),
        ("Filter", "EventFilter"),
    ],
    ids=["check", "hook", "filter"],
)
def test_short_type_names(name: str, want: str) -> None:
    cls = by_type_name(name)
    assert cls is not None and want == cls.TYPE


def test_unknown_type_name() -> None:
    assert by_type_name("Widget") is None
