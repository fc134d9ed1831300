"""Entity tokens in a check (``{{ .name }}``, ``{{ .labels.disk | default "/" }}``).

Sensu renders every string of the check as a Go template over the synthesized entity (its
metadata lifted to the top level). Vigil supports the forms Sensu documents: a field path,
optionally piped to ``default <literal>``, and ``assetPath "<name>"``. A token naming nothing
fails the substitution, as Sensu's does ("unmatched token"), and the check is not sent for
that entity.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_TOKEN = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.DOTALL)
_PATH = re.compile(r"\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*|\.")
_DEFAULT = re.compile(r'\|\s*default\s+("(?:[^"\\]|\\.)*"|-?[0-9.]+|true|false)\Z')
_ASSET_PATH = re.compile(r'assetPath\s+"([^"]*)"\Z')


class TokenError(ValueError):
    """A token that names nothing in the entity, or that Vigil cannot read."""


def _lookup(entity: Mapping[str, Any], path: str) -> Any:
    value: Any = entity
    for part in path.strip(".").split(".") if path != "." else ():
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: Any) -> str:
    """Go's ``fmt`` rendering of a JSON value, for the types entities hold."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + " ".join(_text(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_text(v)}" for k, v in sorted(value.items())) + "]"
    return str(value)


def _render(body: str, entity: Mapping[str, Any], key: str) -> str:
    asset = _ASSET_PATH.fullmatch(body)
    if asset:
        return re.sub(r"[^A-Za-z0-9_]", "_", asset.group(1)).upper() + "_PATH"
    default: Any = None
    fallback = _DEFAULT.search(body)
    if fallback:
        default = json.loads(fallback.group(1))
        body = body[: fallback.start()].strip()
    if not _PATH.fullmatch(body):
        raise TokenError(f"{key}: could not parse the template: {{{{ {body} }}}}")
    value = _lookup(entity, body)
    if value is None:
        if default is None:
            raise TokenError(f"{key}: unmatched token: {body}")
        value = default
    return _text(value)


def _substitute(value: Any, entity: Mapping[str, Any], key: str) -> Any:
    if isinstance(value, str) and "{{" in value:
        return _TOKEN.sub(lambda m: _render(m.group(1), entity, key), value)
    if isinstance(value, list):
        return [_substitute(item, entity, key) for item in value]
    if isinstance(value, dict):
        return {k: _substitute(v, entity, k) for k, v in value.items()}
    return value


def substitute(check: Mapping[str, Any], entity: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``check`` with every token replaced from ``entity`` (synthesized)."""
    result: dict[str, Any] = _substitute(dict(check), entity, "")
    return result


def synthesize(entity: Mapping[str, Any]) -> dict[str, Any]:
    """The entity as tokens and proxy filters see it: ``metadata`` lifted to the top level."""
    lifted = {key: value for key, value in entity.items() if key != "metadata"}
    meta = entity.get("metadata")
    if isinstance(meta, Mapping):
        lifted.update(meta)
    lifted["labels"] = dict(lifted.get("labels") or {})
    lifted["annotations"] = dict(lifted.get("annotations") or {})
    return lifted
