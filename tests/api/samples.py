"""A valid body for every core/v2 type, as a Sensu client would send it."""

from __future__ import annotations

from typing import Any

SHA = "a" * 128


def meta(name: str, namespace: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "labels": {"team": "ops"}}
    if namespace is not None:
        out["namespace"] = namespace
    return out


def body(kind: str, name: str, namespace: str | None) -> dict[str, Any]:
    m = meta(name, namespace)
    return {
        "assets": {"metadata": m, "url": "https://example.com/a.tar.gz", "sha512": SHA},
        "checks": {
            "metadata": m,
            "command": "check-cpu.sh",
            "interval": 60,
            "subscriptions": ["linux"],
            "publish": True,
            "handlers": ["slack"],
        },
        "entities": {"metadata": m, "entity_class": "proxy", "subscriptions": ["web"]},
        "filters": {"metadata": m, "action": "allow", "expressions": ["event.check.status == 2"]},
        "handlers": {"metadata": m, "type": "pipe", "command": "cat"},
        "hooks": {"metadata": m, "command": "ps aux", "timeout": 10},
        "mutators": {"metadata": m, "command": "jq ."},
        "pipelines": {
            "metadata": m,
            "workflows": [
                {
                    "name": "wf",
                    "handler": {"name": "slack", "type": "Handler", "api_version": "core/v2"},
                }
            ],
        },
        "roles": {"metadata": m, "rules": [{"verbs": ["get", "list"], "resources": ["checks"]}]},
        "rolebindings": {
            "metadata": m,
            "role_ref": {"type": "Role", "name": "r"},
            "subjects": [{"type": "User", "name": "bob"}],
        },
        "clusterroles": {"metadata": m, "rules": [{"verbs": ["get"], "resources": ["namespaces"]}]},
        "clusterrolebindings": {
            "metadata": m,
            "role_ref": {"type": "ClusterRole", "name": "view"},
            "subjects": [{"type": "Group", "name": "ops"}],
        },
    }[kind]


NAMESPACED = [
    "assets",
    "checks",
    "entities",
    "filters",
    "handlers",
    "hooks",
    "mutators",
    "pipelines",
    "roles",
    "rolebindings",
]
CLUSTER_WIDE = ["clusterroles", "clusterrolebindings"]
