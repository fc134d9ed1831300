"""``check|entity|handler|filter|mutator|asset|hook create NAME --flag ...``: sensuctl's
flag-driven create, one table row per flag (names, short forms and defaults from sensuctl's
cobra definitions). Empty values are left out, so the backend's defaults apply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from vigil.ctl.context import CtlContext, pass_ctl
from vigil.ctl.kinds import find_kind


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an integer") from None


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("", "1", "t", "true", "yes"):
        return True
    if lowered in ("0", "f", "false", "no"):
        return False
    raise click.BadParameter(f"{value!r} is not a boolean (true or false)")


@dataclass(frozen=True)
class Flag:
    name: str  # long flag without dashes
    field: str  # JSON field it sets
    convert: Callable[[str], Any] = str
    short: str = ""
    default: str = ""
    repeat: bool = False  # a cobra string slice: repeatable, comma-separated

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    def option(self) -> Callable[[Any], Any]:
        decls = [f"--{self.name}", *([f"-{self.short}"] if self.short else []), self.dest]
        if self.convert is _bool:  # cobra bools: `--x` is true, `--x=false` is false
            return click.option(*decls, is_flag=False, flag_value="true", default=self.default)
        return click.option(*decls, default=self.default, multiple=self.repeat)


FLAGS: dict[str, tuple[Flag, ...]] = {
    "check": (
        Flag("command", "command", short="c"),
        Flag("cron", "cron"),
        Flag("handlers", "handlers", _csv),
        Flag("interval", "interval", _int, short="i"),
        Flag("runtime-assets", "runtime_assets", _csv, short="r"),
        Flag("proxy-entity-name", "proxy_entity_name"),
        Flag("publish", "publish", _bool, short="p", default="true"),
        Flag("stdin", "stdin", _bool),
        Flag("subscriptions", "subscriptions", _csv, short="s"),
        Flag("timeout", "timeout", _int, short="t"),
        Flag("ttl", "ttl", _int),
        Flag("high-flap-threshold", "high_flap_threshold", _int),
        Flag("low-flap-threshold", "low_flap_threshold", _int),
        Flag("output-metric-handlers", "output_metric_handlers", _csv),
        Flag("output-metric-format", "output_metric_format"),
        Flag("round-robin", "round_robin", _bool),
    ),
    "handler": (
        Flag("command", "command"),
        Flag("env-vars", "env_vars", _csv),
        Flag("filters", "filters", _csv),
        Flag("handlers", "handlers", _csv),
        Flag("mutator", "mutator", short="m"),
        Flag("socket-host", "socket.host"),
        Flag("socket-port", "socket.port", _int),
        Flag("timeout", "timeout", _int, short="i"),
        Flag("type", "type", str.lower, short="t", default="pipe"),
        Flag("runtime-assets", "runtime_assets", _csv, short="r"),
    ),
    "filter": (
        Flag("action", "action", short="a"),
        Flag("expressions", "expressions", _csv, short="s"),
    ),
    "mutator": (
        Flag("command", "command", short="c"),
        Flag("env-vars", "env_vars", _csv),
        Flag("timeout", "timeout", _int, short="t"),
        Flag("runtime-assets", "runtime_assets", _csv, short="r"),
        Flag("type", "type", default="pipe"),
        Flag("eval", "eval"),
    ),
    "asset": (
        Flag("sha512", "sha512"),
        Flag("url", "url", short="u"),
        Flag("filter", "filters", _csv, repeat=True),
    ),
    "hook": (
        Flag("command", "command", short="c"),
        Flag("timeout", "timeout", _int, short="t", default="60"),
        Flag("stdin", "stdin", _bool, short="s"),
    ),
    "entity": (
        Flag("entity-class", "entity_class", short="c"),
        Flag("subscriptions", "subscriptions", _csv, short="s"),
    ),
}


def body_of(flags: tuple[Flag, ...], values: dict[str, Any]) -> dict[str, Any]:
    """The JSON body the flags describe; ``a.b`` fields nest (a handler's socket)."""
    body: dict[str, Any] = {}
    for flag in flags:
        raw = values.get(flag.dest)
        text = ",".join(raw) if isinstance(raw, tuple) else raw
        if text in (None, ""):
            continue
        value = flag.convert(str(text))
        head, _, tail = flag.field.partition(".")
        if tail:
            body.setdefault(head, {})[tail] = value
        else:
            body[head] = value
    return body


def make_create(cli_name: str) -> click.Command:
    kind = find_kind(cli_name)
    if kind is None:
        raise LookupError(cli_name)
    flags = FLAGS[cli_name]

    @click.argument("name")
    @pass_ctl
    def create(ctl: CtlContext, /, name: str, **values: Any) -> None:
        namespace = ctl.effective_namespace()
        body = {"metadata": {"name": name, "namespace": namespace}, **body_of(flags, values)}
        ctl.client().post(kind.collection_path(namespace), body)
        click.echo("Created")

    for flag in reversed(flags):
        create = flag.option()(create)
    return click.command("create", help=f"Create a {kind.cli} from flags (sensuctl's).")(create)


def add_flagged_creates(groups: dict[str, click.Group]) -> None:
    for cli_name in FLAGS:
        groups[cli_name].add_command(make_create(cli_name))
