"""Rules, roles and bindings in the form decisions read, and the matching itself.

Stored RBAC objects (Sensu JSON) are turned into these frozen forms once, when the
authorizer loads them; matching is then set lookups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from vigil.auth.identity import Identity

ALL = "*"


def _split(values: Iterable[Any] | None) -> frozenset[str]:
    # Stored rules are already split by the model; split again so hand-written JSON works too.
    return frozenset(
        part
        for value in values or ()
        if isinstance(value, str)
        for part in value.split(",")
        if part
    )


@dataclass(frozen=True, slots=True)
class Rule:
    verbs: frozenset[str]
    resources: frozenset[str]
    resource_names: frozenset[str]  # empty = every name

    @classmethod
    def from_json(cls, rule: Mapping[str, Any]) -> Rule:
        return cls(
            _split(rule.get("verbs")),
            _split(rule.get("resources")),
            frozenset(n for n in rule.get("resource_names") or () if isinstance(n, str)),
        )

    def allows_verb(self, verb: str) -> bool:
        return ALL in self.verbs or verb in self.verbs

    def allows_resource(self, resource: str) -> bool:
        return ALL in self.resources or resource in self.resources

    def allows_name(self, name: str) -> bool:
        # A list request has name "", so rules limited to names never allow listing.
        return not self.resource_names or name in self.resource_names

    def allows(self, verb: str, resource: str, name: str) -> bool:
        return self.allows_verb(verb) and self.allows_resource(resource) and self.allows_name(name)


def rules_of(role: Mapping[str, Any]) -> tuple[Rule, ...]:
    return tuple(Rule.from_json(r) for r in role.get("rules") or () if isinstance(r, Mapping))


@dataclass(frozen=True, slots=True)
class Binding:
    name: str
    namespace: str  # "" for cluster role bindings
    role_type: str  # "Role" or "ClusterRole"
    role_name: str
    users: frozenset[str]
    groups: frozenset[str]

    @classmethod
    def from_json(cls, binding: Mapping[str, Any], namespace: str = "") -> Binding:
        meta = binding.get("metadata") or {}
        ref = binding.get("role_ref") or {}
        users: set[str] = set()
        groups: set[str] = set()
        for subject in binding.get("subjects") or ():
            kind = str(subject.get("type", "")).lower()
            name = subject.get("name")
            if isinstance(name, str) and kind in ("user", "group"):
                (users if kind == "user" else groups).add(name)
        role_type = str(ref.get("type", ""))
        return cls(
            name=str(meta.get("name", "")),
            namespace=namespace or str(meta.get("namespace", "")),
            role_type=role_type[:1].upper() + role_type[1:],
            role_name=str(ref.get("name", "")),
            users=frozenset(users),
            groups=frozenset(groups),
        )

    def matches(self, identity: Identity) -> bool:
        return identity.username in self.users or not self.groups.isdisjoint(identity.groups)
