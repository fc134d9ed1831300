"""Sensu's token substitution: Go template actions over every string of a check, hook or asset.

Supported, as Sensu's checks use them: field paths (``{{ .name }}``, ``{{ .labels.x }}``,
``{{ .system.hostname }}``), pipelines into ``default`` (``{{ .labels.x | default "y" }}``),
``default`` called directly, and ``assetPath "name"``. A path that leads nowhere is an
"unmatched token", which Sensu turns into a failure event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from vigil.errors import InvalidArgument

_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
_ARG = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\S+')
_MISSING = object()


class TokenError(InvalidArgument):
    """A template that cannot be evaluated against the entity."""


def synthesize(entity: Mapping[str, Any]) -> dict[str, Any]:
    """Sensu's ``dynamic.Synthesize``: the entity with its metadata lifted to the top."""
    data = {k: v for k, v in entity.items() if k != "metadata"}
    meta = entity.get("metadata") or {}
    for key in ("name", "namespace", "labels", "annotations"):
        data[key] = meta.get(key)
    return data


def env_key(name: str) -> str:
    """``environment.Key``: upper case, runs of other characters become ``_``."""
    return re.sub(r"[^a-zA-Z0-9]+", "_", name).upper()


def _lookup(data: Any, path: str) -> Any:
    value = data
    for part in [p for p in path.split(".") if p]:
        value = value.get(part, _MISSING) if isinstance(value, Mapping) else _MISSING
        if value is _MISSING or value is None:
            return _MISSING
    return value


def _literal(arg: str, data: Any) -> Any:
    if arg.startswith('"'):
        return json.loads(arg)
    if arg.startswith("`"):
        return arg[1:-1]
    if arg.startswith("."):
        return _lookup(data, arg)
    if arg in ("true", "false"):
        return arg == "true"
    if arg == "nil":
        return _MISSING
    try:
        return int(arg)
    except ValueError:
        try:
            return float(arg)
        except ValueError:
            raise TokenError(f'function "{arg}" not defined') from None


def _default(args: list[Any]) -> Any:
    # Sensu's defaultFunc: with two values, the second (the piped one) unless it is nil.
    if len(args) == 1:
        return args[0]
    if len(args) == 2:
        return args[0] if args[1] is _MISSING else args[1]
    return _MISSING


def _call(words: list[str], data: Any, piped: Any, key: str, action: str) -> Any:
    head = words[0]
    if head.startswith(".") or head.startswith('"') or head.startswith("`"):
        if len(words) > 1 or piped is not None:
            raise TokenError(f"{key}: can't give argument to non-function {head}")
        value = _literal(head, data)
        return value
    args = [_literal(word, data) for word in words[1:]]
    if piped is not None:
        args.append(piped)
    if head == "default":
        return _default(args)
    if head == "assetPath":
        if len(args) != 1 or not isinstance(args[0], str):
            raise TokenError(f"{key}: wrong number of args for assetPath")
        return f"{env_key(args[0])}_PATH"
    raise TokenError(f'{key}: could not parse the template: function "{head}" not defined')


def _render(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_render(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_render(v) for v in value) + "]"
    return str(value)


def substitute_string(text: str, data: Any, key: str = "") -> str:
    """Evaluate every ``{{ ... }}`` action of ``text`` against ``data``."""
    if "{{" not in text:
        return text

    def action(match: re.Match[str]) -> str:
        body = match.group(1)
        piped: Any = None
        for stage in body.split("|"):
            words = _ARG.findall(stage.strip())
            if not words:
                raise TokenError(f"{key}: could not parse the template: missing value for command")
            piped = _call(words, data, piped, key, body)
        if piped is _MISSING:
            paths = [w for w in _ARG.findall(body) if w.startswith(".")]
            if not paths:
                raise TokenError(
                    f"{key}: unmatched token: found an undefined value but could not identify "
                    "the token"
                )
            last = paths[-1].rsplit(".", 1)[-1]
            raise TokenError(
                f'{key}: unmatched token: template: {key}:1: executing "{key}" at '
                f'<{paths[-1]}>: map has no entry for key "{last}"'
            )
        return _render(piped)

    return _ACTION.sub(action, text)


def substitute(value: Any, data: Any, key: str = "") -> Any:
    """Every string inside ``value`` (dicts, lists) substituted; other values untouched."""
    if isinstance(value, str):
        return substitute_string(value, data, key)
    if isinstance(value, list):
        return [substitute(item, data, key) for item in value]
    if isinstance(value, dict):
        return {k: substitute(v, data, k) for k, v in value.items()}
    return value
