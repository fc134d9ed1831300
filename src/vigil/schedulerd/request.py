"""The ``check_request`` an agent receives, in the JSON shape Go's encoder gives
``corev2.CheckRequest``: ``config``, ``assets`` and ``hooks`` (``null`` when empty),
``issued``, ``hook_assets`` (always an object) and no ``secrets`` (Sensu sends those only over
mutual TLS, which Vigil's agent transport does not offer).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from vigil.store.base import ListQuery, Store

log = logging.getLogger("vigil.schedulerd")


def _relevant(asset: Mapping[str, Any], prefixes: Iterable[str]) -> bool:
    name = str((asset.get("metadata") or {}).get("name", ""))
    return any(name.startswith(prefix) for prefix in prefixes)


async def _all(store: Store, kind: str, namespace: str) -> list[dict[str, Any]]:
    records = await store.list(ListQuery(kind, namespace=namespace))
    return [msgspec.json.decode(record.value) for record in records]


async def build_request(store: Store, check: Mapping[str, Any], issued: int) -> dict[str, Any]:
    """Assets are every asset whose name starts with a ``runtime_assets`` entry (as Sensu
    matches them); hooks are those the check's ``check_hooks`` name, with their assets."""
    namespace = str(check["metadata"]["namespace"])
    wanted: list[str] = list(check.get("runtime_assets") or [])
    hook_names = {
        name
        for entry in check.get("check_hooks") or ()
        for names in entry.values()
        for name in names or ()
    }
    assets_stored = await _all(store, "assets", namespace) if wanted or hook_names else []
    assets = [a for a in assets_stored if _relevant(a, wanted)] if wanted else []
    for prefix in wanted:
        if not any(_relevant(a, [prefix]) for a in assets):
            log.warning(
                "asset was requested but does not exist",
                extra={"check": check["metadata"]["name"], "asset": prefix},
            )
    hooks: list[dict[str, Any]] = []
    hook_assets: dict[str, dict[str, Any]] = {}
    if hook_names:
        for hook in await _all(store, "hooks", namespace):
            name = str(hook["metadata"]["name"])
            if name not in hook_names:
                continue
            hooks.append(hook)
            hook_wanted = hook.get("runtime_assets") or []
            if hook_wanted:
                hook_assets[name] = {
                    "assets": [a for a in assets_stored if _relevant(a, hook_wanted)] or None
                }
    return {
        "config": dict(check),
        "assets": assets or None,
        "hooks": hooks or None,
        "issued": issued,
        "hook_assets": hook_assets,
    }
