"""sensuctl's global flags, accepted where sensuctl accepts them: anywhere on the line.

sensuctl declares ``--api-url``, ``--api-key``, ``--config-dir``, ``--cache-dir``,
``--namespace``, ``--timeout``, ``--trusted-ca-file`` and ``--insecure-skip-tls-verify`` as
cobra *persistent* flags of its root command, so ``sensuctl check list --api-url U`` and
``sensuctl --api-url U check list`` mean the same. click only reads a group's options before
the subcommand, so the group below moves these flags to the front before parsing. ``-n`` is
not among them: sensuctl gives it to ``configure`` (``--non-interactive``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import click

VALUE_FLAGS = frozenset(
    {
        "--api-url",
        "--api-key",
        "--config-dir",
        "--cache-dir",
        "--namespace",
        "--timeout",
        "--trusted-ca-file",
    }
)
BOOL_FLAGS = frozenset({"--insecure-skip-tls-verify"})
_TRUE = ("", "true", "1", "t", "yes")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def hoist(args: Sequence[str]) -> list[str]:
    """``args`` with the global flags (and their values) moved to the front, in order."""
    front: list[str] = []
    rest: list[str] = []
    items = list(args)
    i = 0
    while i < len(items):
        arg = items[i]
        if arg == "--":
            rest.extend(items[i:])
            break
        flag, eq, value = arg.partition("=")
        if flag in VALUE_FLAGS:
            if eq:
                front.append(arg)
            elif i + 1 < len(items):
                front.extend((arg, items[i + 1]))
                i += 1
            else:
                rest.append(arg)  # let click say the value is missing
        elif flag in BOOL_FLAGS:
            if value.lower() in _TRUE:
                front.append(flag)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def parse_duration(text: str) -> float:
    """Go's duration syntax (``15s``, ``1m30s``, ``500ms``); a bare number is seconds."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise click.BadParameter(f"invalid duration {text!r} (examples: 15s, 1m, 500ms)")
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


class SensuctlGroup(click.Group):
    """The root group: global flags may follow the subcommand, as in sensuctl."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist(args))
