"""The `vigilctl` click group: global options and the command tree; `main(argv)` runs it."""

from __future__ import annotations

from collections.abc import Sequence

import click

from vigil import __version__
from vigil.ctl.config import FORMATS
from vigil.ctl.context import CtlContext, pass_ctl
from vigil.ctl.globals import SensuctlGroup, parse_duration

from .commands.backend import cluster, tessen, version
from .commands.configure import configure, env, logout
from .commands.create import create, delete
from .commands.dump import dump
from .commands.edit import edit
from .commands.extras import (
    create_namespace,
    create_silenced,
    execute_check,
    grant_api_key,
    resolve_event,
    revoke_api_key,
)
from .commands.flagged import add_flagged_creates
from .commands.rbac import add_rbac_commands
from .commands.resources import resource_groups
from .commands.settings import config_group
from .commands.users import add_user_commands


@click.group(
    "vigilctl", cls=SensuctlGroup, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="vigilctl")
@click.option(
    "--api-url",
    "--url",
    "url",
    envvar=["VIGIL_URL", "SENSU_API_URL"],
    default=None,
    help="Host URL of the backend.",
)
@click.option("--api-key", default=None, help="API key (also VIGIL_API_KEY / SENSU_API_KEY).")
@click.option("--namespace", "-n", default=None, help="Namespace in which we perform actions.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="Output format.")
@click.option("--config-dir", default=None, help="Directory of the configuration files.")
@click.option("--cache-dir", default=None, help="Accepted for sensuctl; vigilctl caches nothing.")
@click.option("--timeout", default=None, help="Timeout when talking to the backend (15s, 1m, ...).")
@click.option("--trusted-ca-file", default=None, help="TLS CA certificate bundle (PEM).")
@click.option(
    "--insecure-skip-tls-verify", is_flag=True, default=None, help="Skip TLS verification."
)
@pass_ctl
@click.pass_context
def cli(
    click_ctx: click.Context,
    ctl: CtlContext,
    url: str | None,
    api_key: str | None,
    namespace: str | None,
    fmt: str | None,
    config_dir: str | None,
    cache_dir: str | None,
    timeout: str | None,
    trusted_ca_file: str | None,
    insecure_skip_tls_verify: bool | None,
) -> None:
    """Manage a Sensu Go compatible backend (Vigil or Sensu) from the command line.

    The global options may also follow the command, as sensuctl's do.
    """
    ctl.url = url or ctl.url
    ctl.api_key = api_key or ctl.api_key
    ctl.namespace = namespace or ctl.namespace
    ctl.format = fmt or ctl.format
    ctl.config_dir_override = config_dir or ctl.config_dir_override
    ctl.timeout = parse_duration(timeout) if timeout else ctl.timeout
    ctl.trusted_ca_file = trusted_ca_file or ctl.trusted_ca_file
    ctl.insecure_skip_tls_verify = insecure_skip_tls_verify or ctl.insecure_skip_tls_verify
    click_ctx.call_on_close(ctl.close)


def build() -> click.Group:
    groups = resource_groups()
    groups["api-key"].add_command(grant_api_key)
    groups["api-key"].add_command(revoke_api_key)
    groups["namespace"].add_command(create_namespace)
    groups["event"].add_command(resolve_event)
    groups["check"].add_command(execute_check)
    groups["silenced"].add_command(create_silenced)
    add_user_commands(groups["user"])
    add_rbac_commands(groups)
    add_flagged_creates(groups)
    for group in groups.values():
        cli.add_command(group)
    for command in (
        configure,
        env,
        logout,
        create,
        delete,
        dump,
        edit,
        config_group,
        tessen,
        cluster,
        version,
    ):
        cli.add_command(command)
    return cli


build()


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point; exits with 0 on success, 1 on any error."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="vigilctl")
