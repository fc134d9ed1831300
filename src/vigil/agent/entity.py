"""The agent's own entity: local configuration, the backend's entity_config, system facts.

As sensu-agent: the local entity is built from the settings; an ``entity_config`` message from
the backend replaces it (except the name ``"not found"``, which means "keep yours"); the state
half (system facts, ``last_seen``, agent version) is always the agent's own.
"""

from __future__ import annotations

import platform
import socket
import threading
import time
from typing import Any

import psutil

from vigil import __version__
from vigil.agent.config import AgentConfig

NOT_FOUND = "not found"
AGENT_VERSION = f"{__version__}-vigil"


def _arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64", "i686": "386", "i386": "386"}.get(
        machine, machine
    )


def _os_release() -> dict[str, str]:
    try:
        return {k.lower(): v for k, v in platform.freedesktop_os_release().items()}
    except OSError:
        return {}


def _interfaces() -> list[dict[str, Any]]:
    out = []
    for name, addrs in sorted(psutil.net_if_addrs().items()):
        iface: dict[str, Any] = {"name": name, "addresses": []}
        for addr in addrs:
            if addr.family == psutil.AF_LINK:
                iface["mac"] = addr.address
            elif addr.family in (socket.AF_INET, socket.AF_INET6) and addr.netmask:
                prefix = _prefix(addr.netmask)
                iface["addresses"].append(f"{addr.address.split('%')[0]}/{prefix}")
            elif addr.family in (socket.AF_INET, socket.AF_INET6):
                iface["addresses"].append(addr.address.split("%")[0])
        out.append(iface)
    return out


def _prefix(netmask: str) -> int:
    if ":" in netmask:
        return sum(bin(int(part, 16)).count("1") for part in netmask.split(":") if part)
    return sum(bin(int(part)).count("1") for part in netmask.split("."))


def processes() -> list[dict[str, str]]:
    """core/v2 ``Process`` entries (only ``name`` exists in Sensu's type), one per process we
    may read; reading only the name keeps the cost to one small read per process."""
    out = []
    for proc in psutil.process_iter(["name"]):
        name = proc.info.get("name")
        if name:
            out.append({"name": str(name)})
    return out


def system_facts() -> dict[str, Any]:
    """Sensu's ``System``: hostname, OS, platform, architecture, network interfaces."""
    release = _os_release()
    libc, _ = platform.libc_ver()
    facts: dict[str, Any] = {
        "hostname": socket.gethostname(),
        "os": platform.system().lower(),
        "platform": release.get("id", ""),
        "platform_family": (release.get("id_like") or release.get("id", "")).split(" ")[0],
        "platform_version": release.get("version_id", ""),
        "network": {"interfaces": _interfaces()},
        "arch": _arch(),
        "libc_type": "glibc" if libc == "glibc" else libc,
        "vm_system": "",
        "vm_role": "",
        "cloud_provider": "",
        "processes": None,
    }
    return facts


class AgentEntity:
    """The entity as the agent currently knows it; safe to read from any thread."""

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._remote: dict[str, Any] | None = None
        self._system: dict[str, Any] = self._facts()
        self._processes: list[dict[str, str]] | None = None

    def local_config(self) -> dict[str, Any]:
        c = self.config
        meta: dict[str, Any] = {"name": c.name, "namespace": c.namespace}
        if c.labels:
            meta["labels"] = dict(c.labels)
        if c.annotations:
            meta["annotations"] = dict(c.annotations)
        entity: dict[str, Any] = {
            "entity_class": "agent",
            "subscriptions": list(c.subscriptions),
            "deregister": c.deregister,
            "deregistration": {"handler": c.deregistration_handler}
            if c.deregistration_handler
            else {},
            "user": c.user,
            "redact": list(c.redact),
            "metadata": meta,
            "keepalive_handlers": list(c.keepalive_handlers),
        }
        if c.agent_managed_entity:
            entity["metadata"]["created_by"] = c.user
        return entity

    def apply_config(self, entity_config: dict[str, Any]) -> None:
        """An ``entity_config`` message (core/v3 EntityConfig JSON)."""
        if self.config.agent_managed_entity:
            return
        name = (entity_config.get("metadata") or {}).get("name")
        with self._lock:
            self._remote = None if name == NOT_FOUND else entity_config

    def forget_remote(self) -> None:
        """On reconnect the backend sends its config again; until then, the local one."""
        with self._lock:
            self._remote = None

    def _facts(self) -> dict[str, Any]:
        facts = system_facts()
        if self.config.strip_networks:
            facts["network"] = {"interfaces": None}
        return facts

    def refresh_system(self) -> None:
        facts = self._facts()
        with self._lock:
            self._system = facts

    def refresh_processes(self) -> None:
        """Blocking (one read per process): run it off the event loop, once per keepalive."""
        found = processes() if self.config.discover_processes else None
        with self._lock:
            self._processes = found

    def current(self) -> dict[str, Any]:
        """The core/v2 Entity JSON (v3 config + state, as ``V3EntityToV2``)."""
        with self._lock:
            base = self._remote if self._remote is not None else self.local_config()
            system = self._system
            if self._processes is not None:
                system = {**system, "processes": self._processes}
        entity = {k: v for k, v in base.items() if k not in ("api_version", "type")}
        meta = dict(entity.get("metadata") or {})
        meta.setdefault("name", self.config.name)
        meta.setdefault("namespace", self.config.namespace)
        entity["metadata"] = meta
        entity["entity_class"] = "agent"
        entity["system"] = system
        entity["last_seen"] = int(time.time())
        entity["sensu_agent_version"] = AGENT_VERSION
        return entity

    def subscriptions(self) -> list[str]:
        return list(self.current().get("subscriptions") or [])
