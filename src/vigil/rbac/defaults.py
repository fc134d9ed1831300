"""The objects ``vigil init`` seeds, as Sensu's ``sensu-backend init`` does (spec §7.1).

Everything is plain Sensu JSON keyed by store key ``(kind, namespace, name)``, so the caller
can write it in one create-only batch (``to_ops``); a second init then fails with
AlreadyExists, Sensu's "already initialized".
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
import orjson

from vigil.auth.passwords import hash_password_sync
from vigil.auth.tokens import CONFIG, SECRET_NAME, new_secret_value
from vigil.model.base import Access
from vigil.model.events import Event
from vigil.model.namespaces import Namespace
from vigil.model.rbac import ClusterRole, ClusterRoleBinding, Role, RoleBinding
from vigil.model.registry import REGISTRY, kinds_where
from vigil.model.users import APIKey, User
from vigil.rbac.attributes import LOCAL_SELF_USER
from vigil.store.base import Key, Put
from vigil.store.objects import put_of

DEFAULT_NAMESPACE = "default"
AGENT_USERNAME = "agent"
AGENT_PASSWORD = "P@ssw0rd!"
ADMIN_GROUP = "cluster-admins"
AGENTS_GROUP = "system:agents"
PIPELINE = "system:pipeline"

JSON = dict[str, Any]


def _rule(verbs: list[str], resources: list[str]) -> JSON:
    return {"verbs": verbs, "resources": resources, "resource_names": None}


def _role(name: str, rules: list[JSON], namespace: str = "") -> JSON:
    meta = {"name": name, "namespace": namespace} if namespace else {"name": name}
    return {"rules": rules, "metadata": meta}


def _binding(name: str, role_type: str, role: str, group: str, namespace: str = "") -> JSON:
    meta = {"name": name, "namespace": namespace} if namespace else {"name": name}
    return {
        "subjects": [{"type": "Group", "name": group}],
        "role_ref": {"type": role_type, "name": role},
        "metadata": meta,
    }


def _granted(access: Access) -> list[str]:
    return list(kinds_where(lambda cls: access == cls.DEFAULT_ACCESS))


def cluster_roles() -> dict[str, list[JSON]]:
    """The default cluster roles, their resources read from each kind's ``DEFAULT_ACCESS``."""
    editable, admin_only, readable = _granted("edit"), _granted("admin"), _granted("read")
    return {
        "cluster-admin": [_rule(["*"], ["*"])],
        "admin": [
            _rule(["*"], [*editable, *admin_only]),
            _rule(["get", "list"], readable),
        ],
        "edit": [_rule(["*"], editable), _rule(["get", "list"], readable)],
        "view": [_rule(["get", "list"], [*editable, *readable])],
        "system:agent": [_rule(["*"], [Event.PLURAL])],
        "system:user": [_rule(["get", "update"], [LOCAL_SELF_USER])],
    }


# binding name -> (cluster role, group)
CLUSTER_ROLE_BINDINGS: dict[str, tuple[str, str]] = {
    "cluster-admin": ("cluster-admin", ADMIN_GROUP),
    "system:agent": ("system:agent", AGENTS_GROUP),
    "system:user": ("system:user", "system:users"),
}


def namespace_objects(namespace: str) -> list[tuple[str, str, str, JSON]]:
    """``(kind, namespace, name, body)`` of what every namespace gets besides itself: the
    ``system:pipeline`` Role and RoleBinding the filter engine reads events with. Delete them
    with the namespace."""
    return [
        (Role.PLURAL, namespace, PIPELINE,
         _role(PIPELINE, [_rule(["get", "list"], [Event.PLURAL])], namespace)),
        (RoleBinding.PLURAL, namespace, PIPELINE,
         _binding(PIPELINE, "Role", PIPELINE, PIPELINE, namespace)),
    ]  # fmt: skip


def _user(username: str, password: str, groups: list[str]) -> JSON:
    return {
        "username": username,
        "groups": groups,
        "disabled": False,
        "password_hash": hash_password_sync(password),
    }


def init_objects(
    admin_username: str,
    admin_password: str,
    admin_api_key: str | None = None,
    *,
    now: int | None = None,
    agent_password: str = AGENT_PASSWORD,
) -> dict[Key, JSON]:
    """Every seeded object; ``admin_password`` is hashed here (two bcrypt rounds: ~0.1 s).

    Also holds ``_config/jwt_secret``: 32 random bytes that sign every token of the cluster.
    """
    objects: dict[Key, JSON] = {
        (Namespace.PLURAL, "", DEFAULT_NAMESPACE): {"name": DEFAULT_NAMESPACE},
        **{(k, ns, n): body for k, ns, n, body in namespace_objects(DEFAULT_NAMESPACE)},
        (User.PLURAL, "", admin_username): _user(admin_username, admin_password, [ADMIN_GROUP]),
        (User.PLURAL, "", AGENT_USERNAME): _user(AGENT_USERNAME, agent_password, [AGENTS_GROUP]),
    }
    for name, rules in cluster_roles().items():
        objects[(ClusterRole.PLURAL, "", name)] = _role(name, rules)
    for name, (role, group) in CLUSTER_ROLE_BINDINGS.items():
        objects[(ClusterRoleBinding.PLURAL, "", name)] = _binding(name, "ClusterRole", role, group)
    if admin_api_key:
        objects[(APIKey.PLURAL, "", admin_api_key)] = {
            "metadata": {"name": admin_api_key, "created_by": admin_username},
            "username": admin_username,
            "created_at": int(time.time()) if now is None else now,
        }
    objects[(CONFIG, "", SECRET_NAME)] = orjson.loads(new_secret_value())
    return objects


def to_ops(objects: dict[Key, JSON], if_revision: int | None = 0) -> list[Put]:
    """Validated store writes for ``objects`` (internal kinds stored as given); create-only
    by default, so a second ``vigil init`` fails instead of resetting anything."""
    ops: list[Put] = []
    for (kind, namespace, name), value in objects.items():
        cls = REGISTRY.get(kind)
        if cls is None:
            ops.append(Put(kind, namespace, name, orjson.dumps(value), if_revision=if_revision))
            continue
        obj = msgspec.convert(value, type=cls)
        obj.validate()
        ops.append(put_of(obj, if_revision))
    return ops
