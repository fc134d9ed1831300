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


def hoist(args: Sequence[str], local: frozenset[str] = frozenset()) -> list[str]:
    """``args`` with the global flags (and their values) moved to the front, in order.
    Flags in ``local`` stay: the command declares its own (``check create --timeout`` is
    the check's timeout, as a cobra local flag shadows a persistent one)."""
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
        if flag in local:
            rest.append(arg)
        elif flag in VALUE_FLAGS:
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


def _leaf(group: click.Group, ctx: click.Context, args: Sequence[str]) -> click.Command:
    """The command ``args`` name (the first words that are subcommands)."""
    command: click.Command = group
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg.startswith("-"):
            skip = "=" not in arg and (arg in VALUE_FLAGS or arg in _valued(command))
        elif isinstance(command, click.Group):
            found = command.get_command(ctx, arg)
            if found is None:
                break
            command = found
        else:
            break
    return command


class SensuctlGroup(click.Group):
    """The root group: global flags may follow the subcommand, as in sensuctl."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        leaf = _leaf(self, ctx, args)
        local = frozenset() if leaf is self else _declared(leaf)
        return super().parse_args(ctx, hoist(args, local))


def _valued(command: click.Command) -> frozenset[str]:
    """The options of ``command`` that take a value (the next word)."""
    return frozenset(
        opt
        for param in command.params
        if isinstance(param, click.Option) and not param.is_flag
        for opt in param.opts
    )


def _declared(command: click.Command) -> frozenset[str]:
    return frozenset(
        opt for param in command.params if isinstance(param, click.Option) for opt in param.opts
    )
