"""Check requests -> check results, as sensu-agent's check and hook handlers.

A request is refused when it is older than the last one seen for its check (and the same
``issued`` is a duplicate, from overlapping subscriptions), or while the same check still runs.
Otherwise the check runs in the background: token substitution against the agent entity,
allow list, assets, environment, the command in its own process group with the check's
timeout, metric extraction, hooks by exit status, ``discard_output``. Every way it can fail
still produces an event (status 3, output = the reason), never silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import orjson

from vigil.agent import metricformats, thresholds
from vigil.agent.assets import AssetError, AssetManager, RuntimeAsset, asset_env
from vigil.allowlist import AllowEntry
from vigil.errors import InvalidArgument
from vigil.model.checks import CheckConfig
from vigil.pipeline.commands import run_command
from vigil.tokens import TokenError, substitute, synthesize

log = logging.getLogger("vigil.agent.checks")

ALLOW_LIST_DENY_STATUS = "allow_list_on_deny_status"
ALLOW_LIST_DENIED = "check command denied by the agent allow list"
HOOK_DENIED = "check hook command denied by the agent allow list"
PATH_VARS = ("PATH", "LD_LIBRARY_PATH", "CPATH")

Send = Callable[[str, dict[str, Any]], None]


class CheckRequestRefused(Exception):
    """A request the agent does not run (logged, as sensu-agent, never sent)."""

    def __init__(self, message: str, *, duplicate: bool = False) -> None:
        super().__init__(message)
        self.duplicate = duplicate


def match_allow_list(entries: Sequence[AllowEntry], command: str) -> AllowEntry | None:
    """sensu-agent's rule: exec and args are removed from the command; nothing may remain.
    (The backend's handler allow-list, ``vigil.allowlist``, reads the same file format with a
    stricter rule: ``exec`` must come first.)"""
    for entry in entries:
        if entry.exec in command:
            remaining = command.replace(entry.exec, "")
            for arg in entry.args:
                remaining = remaining.replace(arg, "")
            if not remaining.strip():
                return entry
    return None


def merge_env(
    base: Mapping[str, str], *layers: Mapping[str, str] | Sequence[str]
) -> dict[str, str]:
    """``environment.MergeEnvironments``: later layers win, except that PATH-like variables
    are prepended to what came before."""
    env = dict(base)
    for layer in layers:
        pairs = layer.items() if isinstance(layer, Mapping) else _pairs(layer)
        for name, value in pairs:
            if name in PATH_VARS and env.get(name) and value != env[name]:
                env[name] = (
                    value if value.endswith(env[name]) else f"{value}{os.pathsep}{env[name]}"
                )
            else:
                env[name] = value
    return env


def _pairs(entries: Sequence[str]) -> list[tuple[str, str]]:
    out = []
    for entry in entries:
        name, sep, value = str(entry).partition("=")
        if sep and name:
            out.append((name, value))
    return out


def hook_should_run(hook_type: str, status: int) -> bool:
    return (
        hook_type == str(status)
        or (hook_type == "non-zero" and status != 0)
        or (hook_type == "ok" and status == 0)
        or (hook_type == "warning" and status == 1)
        or (hook_type == "critical" and status == 2)
        or (hook_type == "unknown" and status > 2)
    )


def check_key(config: Mapping[str, Any]) -> str:
    name = str((config.get("metadata") or {}).get("name") or "")
    proxy = config.get("proxy_entity_name") or ""
    return f"{name}/{proxy}" if proxy else name


@dataclass
class Sequences:
    """Per-check event counters; they restart with every connection, as sensu-agent's."""

    counts: dict[str, int] = field(default_factory=dict)

    def next(self, name: str) -> int:
        self.counts[name] = self.counts.get(name, 0) + 1
        return self.counts[name]

    def reset(self) -> None:
        self.counts.clear()


@dataclass
class Execution:
    status: int
    output: str
    duration: float


async def execute(command: str, *, env: Mapping[str, str], timeout: int, stdin: bytes) -> Execution:
    """``sh -c`` in its own process group; a command that cannot start is status 3."""
    started = time.monotonic()
    env_list = [f"{k}={v}" for k, v in env.items()]
    try:
        result = await run_command(command, stdin, env_vars=env_list, timeout=timeout)
    except OSError as exc:
        return Execution(3, str(exc), time.monotonic() - started)
    status = result.status if result.status >= 0 else 3  # killed by a signal
    return Execution(status, result.output.decode(errors="replace"), time.monotonic() - started)


class CheckRunner:
    """Accepts check requests and runs them concurrently; results go to ``send``."""

    def __init__(
        self,
        *,
        agent_name: str,
        namespace: str,
        entity: Callable[[], dict[str, Any]],
        send: Send,
        sequences: Sequences,
        assets: AssetManager | None,
        allow_list: Sequence[AllowEntry] = (),
    ) -> None:
        self.agent_name = agent_name
        self.namespace = namespace
        self.entity = entity
        self.send = send
        self.sequences = sequences
        self.assets = assets
        self.allow_list = list(allow_list)
        self.last_issued: dict[str, int] = {}
        self.in_progress: set[str] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    # --- accepting ------------------------------------------------------------------------
    def handle(self, request: dict[str, Any]) -> None:
        """Accept or refuse one ``check_request``; raises CheckRequestRefused."""
        config = request.get("config") or {}
        name = str((config.get("metadata") or {}).get("name") or "")
        key = check_key(config)
        issued = int(request.get("issued") or 0)
        last = self.last_issued.get(key, 0)
        if last > issued:
            raise CheckRequestRefused(
                "check request is older than a previously received check request"
            )
        if last == issued:
            raise CheckRequestRefused(
                "check request has already been received - agent and check may have "
                "multiple matching subscriptions",
                duplicate=True,
            )
        if key in self.in_progress:
            raise CheckRequestRefused(f"check execution still in progress: {name}")
        if self.assets is None and request.get("assets"):
            self._fail(request, "check requested assets, but they are disabled on this agent")
            return
        problem = _invalid(config)
        if problem:
            self._fail(request, f"given check is invalid: {problem}")
            return
        self.last_issued[key] = issued
        self.in_progress.add(key)
        task = asyncio.get_running_loop().create_task(self._run(request, key))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self, grace: float = 5.0) -> None:
        """On a clean stop: running checks get ``grace`` seconds to finish (their results go to
        the outbox, sent after the next start); the rest are killed with their groups."""
        if not self.tasks:
            return
        _, pending = await asyncio.wait(list(self.tasks), timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    # --- running --------------------------------------------------------------------------
    def _new_event(self, request: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
        check = dict(config)
        check["executed"] = int(time.time())
        check["issued"] = int(request.get("issued") or 0)
        namespace = (config.get("metadata") or {}).get("namespace") or self.namespace
        name = str((config.get("metadata") or {}).get("name") or "")
        event: dict[str, Any] = {
            "metadata": {"namespace": namespace},
            "check": check,
            "sequence": self.sequences.next(name),
        }
        if config.get("pipelines"):
            event["pipelines"] = config["pipelines"]
        return event

    def _fail(
        self,
        request: Mapping[str, Any],
        message: str,
        event: dict[str, Any] | None = None,
    ) -> None:
        config = request.get("config") or {}
        if event is None:
            event = self._new_event(request, config)
        log.error("check %s: %s", event["check"].get("metadata", {}).get("name"), message)
        check = event["check"]
        check["output"] = message
        check["status"] = 3
        deny = (check.get("metadata") or {}).get("annotations", {}) or {}
        if ALLOW_LIST_DENY_STATUS in deny:
            with contextlib.suppress(ValueError):
                check["status"] = int(deny[ALLOW_LIST_DENY_STATUS])
        event["entity"] = self.entity()
        event["timestamp"] = int(time.time())
        event["id"] = str(uuid.uuid4())
        self.send("event", event)

    async def _run(self, request: dict[str, Any], key: str) -> None:
        try:
            await self._execute(request)
        except Exception as exc:  # a bug here must still produce an event, not silence
            log.exception("check execution failed")
            self._fail(request, f"error executing check: {exc}")
        finally:
            self.in_progress.discard(key)

    async def _execute(self, request: dict[str, Any]) -> None:
        original = request.get("config") or {}
        entity = self.entity()
        lifted = synthesize(entity)
        try:
            config = substitute(original, lifted)
        except TokenError as exc:
            event = self._new_event(request, original)
            self._fail(request, f"error while substituting check tokens: {exc}", event)
            return
        event = self._new_event(request, config)
        check = event["check"]
        check["command"] = original.get("command", "")  # the secret-free text is reported
        event["entity"] = entity
        command = str(config.get("command") or "")

        matched: AllowEntry | None = None
        if self.allow_list:
            matched = match_allow_list(self.allow_list, command)
            if matched is None:
                self._fail(request, ALLOW_LIST_DENIED, event)
                return

        runtime: list[RuntimeAsset] = []
        if request.get("assets") and self.assets is not None:
            try:
                runtime = await self.assets.get_all(request["assets"], entity)
            except AssetError as exc:
                self._fail(request, f"error getting assets for check: {exc}", event)
                return

        secrets = list(request.get("secrets") or [])
        layers: list[Mapping[str, str] | Sequence[str]] = [
            asset_env(runtime, os.environ) if runtime else {},
            secrets,
        ]
        if matched is None or matched.enable_env:
            layers.append(list(config.get("env_vars") or []))
        env = merge_env(os.environ, *layers)

        stdin = orjson.dumps(event) if config.get("stdin") else b""
        result = await execute(
            command, env=env, timeout=int(config.get("timeout") or 0), stdin=stdin
        )
        check["output"] = result.output
        check["status"] = result.status
        check["duration"] = round(result.duration, 6)
        check["processed_by"] = self.agent_name
        event["timestamp"] = int(time.time())
        event["id"] = str(uuid.uuid4())

        fmt = str(config.get("output_metric_format") or "")
        handlers = config.get("output_metric_handlers") or []
        if fmt or handlers:
            event["metrics"] = {}
        if fmt:
            points = metricformats.extract(
                fmt, result.output, check["executed"], config.get("output_metric_tags")
            )
            event["metrics"]["points"] = points
            rules = config.get("output_metric_thresholds") or []
            if points and rules and check["status"] == 0:
                check["status"], notes = thresholds.evaluate(0, points, rules)
                if notes:
                    meta = event["metadata"]
                    meta["annotations"] = {**(meta.get("annotations") or {}), **notes}
        if handlers:
            event["metrics"]["handlers"] = list(handlers)

        if config.get("check_hooks"):
            check["hooks"] = await self._hooks(request, event, lifted)

        if config.get("discard_output"):
            check["output"] = ""
        self.send("event", event)

    async def _hooks(
        self, request: Mapping[str, Any], event: dict[str, Any], lifted: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        status = int(event["check"]["status"])
        configs = {
            str((h.get("metadata") or {}).get("name")): h for h in request.get("hooks") or []
        }
        hook_assets = request.get("hook_assets") or {}
        done: list[dict[str, Any]] = []
        for entry in event["check"].get("check_hooks") or []:
            for hook_type, names in entry.items():
                if not hook_should_run(hook_type, status):
                    continue
                for name in names:
                    if any(h["metadata"].get("name") == name for h in done):
                        continue
                    hook = configs.get(name) or _error_hook(name, "missing hook config")
                    original = hook.get("command", "")
                    try:
                        hook = substitute(hook, lifted)
                    except TokenError as exc:
                        hook = _error_hook(name, f"error doing token substitution: {exc}")
                    ran = await self._hook(hook, event, hook_assets.get(name))
                    ran["command"] = original
                    done.append(ran)
        return done

    async def _hook(
        self, hook: Mapping[str, Any], event: Mapping[str, Any], assets: Any
    ) -> dict[str, Any]:
        result: dict[str, Any] = {**hook, "executed": int(time.time())}
        result.setdefault("metadata", {"name": "", "namespace": self.namespace})
        command = str(hook.get("command") or "")
        if self.allow_list and match_allow_list(self.allow_list, command) is None:
            result["status"], result["output"] = 3, HOOK_DENIED
            return result
        runtime: list[RuntimeAsset] = []
        if assets and self.assets is not None:
            try:
                runtime = await self.assets.get_all((assets or {}).get("assets") or [], event)
            except AssetError:
                result["status"], result["output"] = 3, HOOK_DENIED
                return result
        env = merge_env(os.environ, asset_env(runtime, os.environ) if runtime else {})
        stdin = orjson.dumps(event) if hook.get("stdin") else b""
        ran = await execute(command, env=env, timeout=int(hook.get("timeout") or 0), stdin=stdin)
        result.update(output=ran.output, status=ran.status, duration=round(ran.duration, 6))
        return result


def _error_hook(name: str, reason: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "command": f"echo 'hook {name}: {reason}'; exit 2",
        "timeout": 5,
    }


def _invalid(config: Mapping[str, Any]) -> str | None:
    """CheckConfig.Validate, with the model the API validates checks with."""
    try:
        msgspec.convert(config, CheckConfig, strict=False).validate()
    except (msgspec.ValidationError, InvalidArgument) as exc:
        return str(exc)
    return None
