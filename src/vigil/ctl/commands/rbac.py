"""``role|cluster-role create NAME --verb .. --resource ..`` and
``role-binding|cluster-role-binding create NAME --role|--cluster-role .. --user|--group ..``,
with sensuctl's flags (lists repeat or take commas) and output."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from vigil.ctl.context import CtlContext, pass_ctl
from vigil.ctl.errors import CtlError
from vigil.ctl.kinds import API_PREFIX, segment


def _items(values: Sequence[str]) -> list[str]:
    """A cobra string slice: repeated flags and comma-separated values, in order."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _path(plural: str, namespace: str | None) -> str:
    if namespace is None:
        return f"{API_PREFIX}/{plural}"
    return f"{API_PREFIX}/namespaces/{segment(namespace)}/{plural}"


def _post(ctl: CtlContext, plural: str, namespace: str | None, body: dict[str, Any]) -> None:
    ctl.client().post(_path(plural, namespace), body)
    click.echo("Created")


def _rule(verbs: Sequence[str], resources: Sequence[str], names: Sequence[str]) -> dict[str, Any]:
    rule: dict[str, Any] = {"verbs": _items(verbs), "resources": _items(resources)}
    if not rule["verbs"]:
        raise CtlError("at least one verb must be provided")
    if not rule["resources"]:
        raise CtlError("at least one resource must be provided")
    if _items(names):
        rule["resource_names"] = _items(names)
    return rule


def _subjects(groups: Sequence[str], users: Sequence[str]) -> list[dict[str, str]]:
    subjects = [{"type": "Group", "name": g} for g in _items(groups)]
    subjects += [{"type": "User", "name": u} for u in _items(users)]
    if not subjects:
        raise CtlError("at least one group or user must be provided")
    return subjects


def _role_command(cluster_wide: bool) -> click.Command:
    what = "cluster role" if cluster_wide else "role"

    @click.command("create", help=f"Create a {what} with one rule.")
    @click.argument("name")
    @click.option("-v", "--verb", multiple=True, help="Verbs (get, list, create, ...).")
    @click.option("-r", "--resource", multiple=True, help="Resource types.")
    @click.option("-n", "--resource-name", multiple=True, help="Resource names.")
    @pass_ctl
    def create(
        ctl: CtlContext,
        name: str,
        verb: tuple[str, ...],
        resource: tuple[str, ...],
        resource_name: tuple[str, ...],
    ) -> None:
        namespace = None if cluster_wide else ctl.effective_namespace()
        metadata: dict[str, str] = {"name": name}
        if namespace is not None:
            metadata["namespace"] = namespace
        body = {"metadata": metadata, "rules": [_rule(verb, resource, resource_name)]}
        _post(ctl, "clusterroles" if cluster_wide else "roles", namespace, body)

    return create


def _binding_command(cluster_wide: bool) -> click.Command:
    what = "cluster role binding" if cluster_wide else "role binding"

    @click.command("create", help=f"Create a {what}.")
    @click.argument("name")
    @click.option("-c", "--cluster-role", default="", help="The ClusterRole to bind.")
    @click.option("-r", "--role", default="", hidden=cluster_wide, help="The Role to bind.")
    @click.option("-g", "--group", multiple=True, help="Groups to bind.")
    @click.option("-u", "--user", multiple=True, help="Users to bind.")
    @pass_ctl
    def create(
        ctl: CtlContext,
        name: str,
        cluster_role: str,
        role: str,
        group: tuple[str, ...],
        user: tuple[str, ...],
    ) -> None:
        if cluster_role:
            role_ref = {"type": "ClusterRole", "name": cluster_role}
        elif role and not cluster_wide:
            role_ref = {"type": "Role", "name": role}
        elif cluster_wide:
            raise CtlError("a ClusterRole must be provided")
        else:
            raise CtlError("a role or cluster role must be provided")
        namespace = None if cluster_wide else ctl.effective_namespace()
        metadata: dict[str, str] = {"name": name}
        if namespace is not None:
            metadata["namespace"] = namespace
        body = {"metadata": metadata, "role_ref": role_ref, "subjects": _subjects(group, user)}
        _post(ctl, "clusterrolebindings" if cluster_wide else "rolebindings", namespace, body)

    return create


def add_rbac_commands(groups: dict[str, click.Group]) -> None:
    groups["role"].add_command(_role_command(cluster_wide=False))
    groups["cluster-role"].add_command(_role_command(cluster_wide=True))
    groups["role-binding"].add_command(_binding_command(cluster_wide=False))
    groups["cluster-role-binding"].add_command(_binding_command(cluster_wide=True))
