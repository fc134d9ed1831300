"""Roles, cluster roles and their bindings: normalisation, rules and fields."""

from __future__ import annotations

from typing import Any

import pytest

from vigil.model.rbac import ClusterRole, ClusterRoleBinding, Role, RoleBinding, go_title

from .helpers import load, problem, rendered

RULE = {"verbs": ["get", "list"], "resources": ["checks"], "resource_names": None}


def role_doc(meta: dict[str, Any], rules: Any = None) -> dict[str, Any]:
    return {"metadata": meta, "rules": [RULE] if rules is None else rules}


ROLE_CASES: list[tuple[str, type[Any], dict[str, str], Any, str | None]] = [
    ("role_valid", Role, {"name": "r", "namespace": "d"}, None, None),
    ("role_colon_name", Role, {"name": "system:pipeline", "namespace": "d"}, None, None),
    (
        "role_bad_name",
        Role,
        {"name": "a:b:c", "namespace": "d"},
        None,
        "role name cannot contain spaces or special characters",
    ),
    (
        "role_no_rules",
        Role,
        {"name": "r", "namespace": "d"},
        [],
        "rules must contain at least one element",
    ),
    (
        "role_no_verbs",
        Role,
        {"name": "r", "namespace": "d"},
        [{"resources": ["*"]}],
        "rule must have at least one verb",
    ),
    (
        "role_bad_verb",
        Role,
        {"name": "r", "namespace": "d"},
        [{"verbs": ["get,patch"], "resources": ["*"]}],
        "invalid verb: patch",
    ),
    (
        "role_no_resources",
        Role,
        {"name": "r", "namespace": "d"},
        [{"verbs": ["*"]}],
        "rule must have at least one resource",
    ),
    ("role_no_namespace", Role, {"name": "r"}, None, "namespace must be set"),
    ("clusterrole_valid", ClusterRole, {"name": "cluster-admin"}, None, None),
    (
        "clusterrole_empty_name",
        ClusterRole,
        {"name": ""},
        None,
        "cluster role name must not be empty",
    ),
    (
        "clusterrole_namespaced",
        ClusterRole,
        {"name": "c", "namespace": "d"},
        None,
        "cluster role cannot have a namespace",
    ),
]


@pytest.mark.parametrize(
    ("cls", "meta", "rules", "want"), [c[1:] for c in ROLE_CASES], ids=[c[0] for c in ROLE_CASES]
)
def test_role_rules(cls: type[Any], meta: dict[str, str], rules: Any, want: str | None) -> None:
    assert problem(load(cls, role_doc(meta, rules))) == want


def test_rules_split_commas_when_validated() -> None:
    role = load(
        Role,
        role_doc(
            {"name": "r", "namespace": "d"},
            [{"verbs": ["get,list", "create"], "resources": ["checks,entities"]}],
        ),
    )
    assert problem(role) is None
    assert rendered(role)["rules"] == [
        {
            "verbs": ["get", "list", "create"],
            "resources": ["checks", "entities"],
            "resource_names": None,
        }
    ]


def binding_doc(meta: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "metadata": meta,
        "role_ref": {"type": "ClusterRole", "name": "view"},
        "subjects": [{"type": "Group", "name": "devs"}],
        **changes,
    }


BINDING_CASES: list[tuple[str, type[Any], dict[str, str], dict[str, Any], str | None]] = [
    ("binding_valid", RoleBinding, {"name": "b", "namespace": "d"}, {}, None),
    (
        "binding_role_ref_role",
        RoleBinding,
        {"name": "b", "namespace": "d"},
        {"role_ref": {"type": "role", "name": "r"}},
        None,
    ),
    (
        "binding_lowercase_subject",
        RoleBinding,
        {"name": "b", "namespace": "d"},
        {"subjects": [{"type": "user", "name": "u"}]},
        None,
    ),
    (
        "binding_bad_name",
        RoleBinding,
        {"name": "a b", "namespace": "d"},
        {},
        "role binding name cannot contain spaces or special characters",
    ),
    (
        "binding_bad_ref_type",
        RoleBinding,
        {"name": "b", "namespace": "d"},
        {"role_ref": {"type": "Team", "name": "r"}},
        "role_ref type must be Role or ClusterRole",
    ),
    (
        "binding_clusterrole_lowercase",
        RoleBinding,
        {"name": "b", "namespace": "d"},
        {"role_ref": {"type": "clusterrole", "name": "r"}},
        "role_ref type must be Role or ClusterRole",
    ),
    (
        "binding_no_ref_name",
        RoleBinding,
        {"name": "b", "namespace": "d"},
        {"role_ref": {"type": "Role", "name": ""}},
        "role_ref name must not be empty",
    ),
    (
        "binding_no_subjects",
        RoleBinding,
        {"name": "b", "namespace": "d"},
        {"subjects": []},
        "must have at least one subject",
    ),
    (
        "binding_bad_subject_type",
        RoleBinding,
        {"name": "b", "namespace": "d"},
        {"subjects": [{"type": "robot", "name": "r"}]},
        "subject type must be User or Group",
    ),
    (
        "binding_empty_subject",
        RoleBinding,
        {"name": "b", "namespace": "d"},
        {"subjects": [{"type": "User", "name": ""}]},
        "subject name must not be empty",
    ),
    ("binding_no_namespace", RoleBinding, {"name": "b"}, {}, "namespace must be set"),
    ("cluster_binding_valid", ClusterRoleBinding, {"name": "cb"}, {}, None),
    (
        "cluster_binding_role_ref",
        ClusterRoleBinding,
        {"name": "cb"},
        {"role_ref": {"type": "Role", "name": "r"}},
        "role_ref type must be ClusterRole",
    ),
    (
        "cluster_binding_namespaced",
        ClusterRoleBinding,
        {"name": "cb", "namespace": "d"},
        {},
        "cluster role binding cannot have a namespace",
    ),
]


@pytest.mark.parametrize(
    ("cls", "meta", "changes", "want"),
    [c[1:] for c in BINDING_CASES],
    ids=[c[0] for c in BINDING_CASES],
)
def test_binding_rules(
    cls: type[Any], meta: dict[str, str], changes: dict[str, Any], want: str | None
) -> None:
    assert problem(load(cls, binding_doc(meta, **changes))) == want


def test_binding_types_title_cased_on_normalize() -> None:
    binding = load(
        RoleBinding,
        binding_doc(
            {"name": "b", "namespace": "d"},
            role_ref={"type": "role", "name": "r"},
            subjects=[{"type": "group", "name": "g"}],
        ),
    )
    binding.normalize()
    assert binding.role_ref.type == "Role"
    assert binding.subjects is not None and binding.subjects[0].type == "Group"


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("role", "Role"),
        ("clusterRole", "ClusterRole"),
        ("clusterrole", "Clusterrole"),
        ("user group", "User Group"),
        ("", ""),
    ],
    ids=["simple", "camel", "lower", "words", "empty"],
)
def test_go_title(value: str, want: str) -> None:
    assert go_title(value) == want


def test_fields() -> None:
    labels: dict[str, Any] = {"labels": {"k": "v"}}
    assert load(Role, role_doc({"name": "r", "namespace": "d", **labels})).fields() == {
        "role.name": "r",
        "role.namespace": "d",
        "role.labels.k": "v",
    }
    assert load(ClusterRole, role_doc({"name": "c"})).fields() == {"clusterrole.name": "c"}
    assert load(RoleBinding, binding_doc({"name": "b", "namespace": "d"})).fields() == {
        "rolebinding.name": "b",
        "rolebinding.namespace": "d",
        "rolebinding.role_ref.name": "view",
        "rolebinding.role_ref.type": "ClusterRole",
    }
    assert load(ClusterRoleBinding, binding_doc({"name": "cb", **labels})).fields() == {
        "clusterrolebinding.name": "cb",
        "clusterrolebinding.role_ref.name": "view",
        "clusterrolebinding.role_ref.type": "ClusterRole",
        "clusterrolebinding.labels.k": "v",
    }


def test_rendering_and_identity() -> None:
    binding = load(ClusterRoleBinding, binding_doc({"name": "cb"}))
    assert rendered(binding) == binding_doc({"name": "cb"})
    assert (binding.key_namespace(), binding.key_name()) == ("", "cb")
    role = load(Role, role_doc({"name": "r", "namespace": "d"}))
    assert (role.key_namespace(), role.key_name()) == ("d", "r")
