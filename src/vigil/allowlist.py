"""The command allow-list, in the file format of ``sensu-agent --allow-list``.

A YAML (``.yml``/``.yaml``) or JSON (``.json``) list of entries::

    - exec: /usr/local/bin/notify
      sha512: 4f9b...            # optional: the executable's digest must match
      args: ["--channel", "ops"] # the only words allowed after ``exec``
      enable_env: false          # false: the command's env_vars are not passed

A command is allowed by an entry when it starts with ``exec`` and what follows is made only
of the entry's ``args`` and whitespace. Stricter than the agent on purpose: the agent accepts
``exec`` anywhere in the command; here it must come first, so ``evil; /usr/bin/ok`` is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml

from vigil.errors import InvalidArgument


@dataclass(frozen=True, slots=True)
class AllowEntry:
    exec: str
    args: tuple[str, ...]
    sha512: str = ""
    enable_env: bool = False

    def allows(self, command: str) -> bool:
        text = command.strip()
        if not text.startswith(self.exec):
            return False
        remaining = text[len(self.exec) :]
        if remaining and not remaining[0].isspace():
            return False  # ``/bin/echo`` must not allow ``/bin/echoevil``
        # Longest first, so an argument never eats part of a longer one.
        for arg in sorted(self.args, key=len, reverse=True):
            remaining = remaining.replace(arg, " ")
        return not remaining.strip()

    def digest_matches(self, path: str) -> bool:
        if not self.sha512:
            return True
        try:
            digest = hashlib.sha512(Path(path).read_bytes()).hexdigest()
        except OSError:
            return False
        return hmac.compare_digest(digest, self.sha512.lower())


def load_allow_list(path: str) -> tuple[AllowEntry, ...]:
    """Entries of the file at ``path``; InvalidArgument when it cannot be used."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".yml", ".yaml", ".json"):
        raise InvalidArgument(f"allow list {path}: invalid file extension (.yml, .yaml or .json)")
    try:
        raw = Path(path).read_bytes()
        data: Any = orjson.loads(raw) if suffix == ".json" else yaml.safe_load(raw)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InvalidArgument(f"allow list {path}: {exc}") from None
    if not isinstance(data, list):
        raise InvalidArgument(f"allow list {path}: must be a list of entries")
    return tuple(_entry(path, item) for item in data)


def _entry(path: str, item: Any) -> AllowEntry:
    if not isinstance(item, dict):
        raise InvalidArgument(f"allow list {path}: every entry must be a mapping")
    exec_ = str(item.get("exec") or "")
    args = item.get("args") or []
    if not exec_:
        raise InvalidArgument(f"allow list {path}: exec cannot be empty")
    if not isinstance(args, list) or not args:
        raise InvalidArgument(f"allow list {path}: args cannot be empty ({exec_})")
    return AllowEntry(
        exec_,
        tuple(str(a) for a in args),
        str(item.get("sha512") or ""),
        bool(item.get("enable_env", False)),
    )


def match(entries: tuple[AllowEntry, ...], command: str, path_env: str) -> AllowEntry | None:
    """The entry that allows ``command`` (its executable's digest checked), else None."""
    for entry in entries:
        if entry.allows(command):
            found = shutil.which(entry.exec, path=path_env) or entry.exec
            return entry if entry.digest_matches(found) else None
    return None
