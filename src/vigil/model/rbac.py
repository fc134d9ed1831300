"""RBAC resources: Role (``roles``), ClusterRole (``clusterroles``), RoleBinding
(``rolebindings``) and ClusterRoleBinding (``clusterrolebindings``).

Sensu stores rules and references in a canonical form: comma-joined verbs and resources
are split (``"get,list"`` becomes two verbs) and ``role_ref``/``subjects`` types are
title-cased (``role`` becomes ``Role``). ``normalize()`` applies that; ``validate()`` calls
it first, so a validated object is always in stored form.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import msgspec

from vigil.model.base import Access, Columns, ObjectMeta, Resource
from vigil.model.meta import (
    check_subscription_name,
    fail,
    meta_fields,
    new_meta,
    require_namespace,
    shown,
    shown_none,
)

VERBS = frozenset({"*", "get", "list", "create", "update", "delete"})


class Rule(msgspec.Struct, kw_only=True):
    verbs: list[str] | None = shown_none()
    resources: list[str] | None = shown_none()
    resource_names: list[str] | None = shown_none()

    def normalize(self) -> None:
        self.verbs = _split_commas(self.verbs)
        self.resources = _split_commas(self.resources)

    def validate(self) -> None:
        if not self.verbs:
            fail("rule must have at least one verb")
        for verb in self.verbs:
            if verb not in VERBS:
                fail(f"invalid verb: {verb}")
        if not self.resources:
            fail("rule must have at least one resource")


class RoleRef(msgspec.Struct, kw_only=True):
    type: str = shown(str)
    name: str = shown(str)


class Subject(msgspec.Struct, kw_only=True):
    type: str = shown(str)
    name: str = shown(str)


def _split_commas(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [part for value in values for part in value.split(",") if part]


def go_title(value: str) -> str:
    """Upper-case the first letter of every word, leaving the rest (Go ``strings.Title``)."""
    chars, previous = [], " "
    for char in value:
        starts_word = not (previous.isalnum() or previous == "_")
        chars.append(char.upper() if starts_word else char)
        previous = char
    return "".join(chars)


def _validate_rules(rules: Iterable[Rule] | None) -> None:
    rules = list(rules or ())
    if not rules:
        fail("rules must contain at least one element")
    for rule in rules:
        rule.normalize()
        rule.validate()


class _RoleBase(Resource, kw_only=True, omit_defaults=True):
    rules: list[Rule] | None = shown_none()
    metadata: ObjectMeta = new_meta()

    def normalize(self) -> None:
        for rule in self.rules or ():
            rule.normalize()

    def fields(self) -> dict[str, str]:
        return meta_fields(self.FIELD_PREFIX, self.metadata, self.NAMESPACED)


class Role(_RoleBase, kw_only=True, omit_defaults=True):
    TYPE: ClassVar[str] = "Role"
    PLURAL: ClassVar[str] = "roles"
    FIELD_PREFIX: ClassVar[str] = "role"
    CLI_NAME: ClassVar[str] = "role"
    CLI_COLUMNS: ClassVar[Columns] = (
        ("Name", "@name"),
        ("Rules", "@rule_count"),
    )
    DEFAULT_ACCESS: ClassVar[Access] = "admin"

    def validate(self) -> None:
        check_subscription_name("role", self.metadata.name)
        _validate_rules(self.rules)
        require_namespace(self.metadata)


class ClusterRole(_RoleBase, kw_only=True, omit_defaults=True):
    TYPE: ClassVar[str] = "ClusterRole"
    PLURAL: ClassVar[str] = "clusterroles"
    NAMESPACED: ClassVar[bool] = False
    FIELD_PREFIX: ClassVar[str] = "clusterrole"
    CLI_NAME: ClassVar[str] = "cluster-role"
    CLI_COLUMNS: ClassVar[Columns] = (
        ("Name", "@name"),
        ("Rules", "@rule_count"),
    )

    def validate(self) -> None:
        check_subscription_name("cluster role", self.metadata.name)
        _validate_rules(self.rules)
        if self.metadata.namespace:
            fail("cluster role cannot have a namespace")


class _BindingBase(Resource, kw_only=True, omit_defaults=True):
    ROLE_TYPES: ClassVar[tuple[str, ...]]

    subjects: list[Subject] | None = shown_none()
    role_ref: RoleRef = msgspec.field(default_factory=RoleRef)
    metadata: ObjectMeta = new_meta()

    def normalize(self) -> None:
        self.role_ref.type = go_title(self.role_ref.type)
        for subject in self.subjects or ():
            subject.type = go_title(subject.type)

    def _validate_binding(self) -> None:
        self.normalize()
        if self.role_ref.type not in self.ROLE_TYPES:
            fail(f"role_ref type must be {' or '.join(self.ROLE_TYPES)}")
        if not self.role_ref.name:
            fail("role_ref name must not be empty")
        if not self.subjects:
            fail("must have at least one subject")
        for subject in self.subjects:
            if subject.type not in ("User", "Group"):
                fail("subject type must be User or Group")
            if not subject.name:
                fail("subject name must not be empty")

    def fields(self) -> dict[str, str]:
        fields = meta_fields(self.FIELD_PREFIX, self.metadata, self.NAMESPACED)
        fields[f"{self.FIELD_PREFIX}.role_ref.name"] = self.role_ref.name
        fields[f"{self.FIELD_PREFIX}.role_ref.type"] = self.role_ref.type
        return fields


class RoleBinding(_BindingBase, kw_only=True, omit_defaults=True):
    TYPE: ClassVar[str] = "RoleBinding"
    PLURAL: ClassVar[str] = "rolebindings"
    FIELD_PREFIX: ClassVar[str] = "rolebinding"
    CLI_NAME: ClassVar[str] = "role-binding"
    CLI_COLUMNS: ClassVar[Columns] = (
        ("Name", "@name"),
        ("Role Ref", "@role_ref"),
        ("Users", "@subjects:User"),
        ("Groups", "@subjects:Group"),
    )
    DEFAULT_ACCESS: ClassVar[Access] = "admin"
    ROLE_TYPES: ClassVar[tuple[str, ...]] = ("Role", "ClusterRole")

    def validate(self) -> None:
        check_subscription_name("role binding", self.metadata.name)
        self._validate_binding()
        require_namespace(self.metadata)


class ClusterRoleBinding(_BindingBase, kw_only=True, omit_defaults=True):
    TYPE: ClassVar[str] = "ClusterRoleBinding"
    PLURAL: ClassVar[str] = "clusterrolebindings"
    NAMESPACED: ClassVar[bool] = False
    FIELD_PREFIX: ClassVar[str] = "clusterrolebinding"
    CLI_NAME: ClassVar[str] = "cluster-role-binding"
    CLI_COLUMNS: ClassVar[Columns] = (
        ("Name", "@name"),
        ("Role Ref", "@role_ref"),
        ("Users", "@subjects:User"),
        ("Groups", "@subjects:Group"),
    )
    ROLE_TYPES: ClassVar[tuple[str, ...]] = ("ClusterRole",)

    def validate(self) -> None:
        check_subscription_name("cluster role binding", self.metadata.name)
        self._validate_binding()
        if self.metadata.namespace:
            fail("cluster role binding cannot have a namespace")
