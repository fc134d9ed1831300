"""``vigil``: the server command (init, start, version), with sensu-backend's flag names."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from typing import Any

import click

from vigil import SENSU_COMPAT_VERSION, __version__, logs
from vigil.errors import VigilError
from vigil.settings import SETTINGS, Settings

log = logging.getLogger("vigil.cli")

_STORE_SETTINGS = ("state_dir", "store", "pg_url", "log_level")


def _setting_options(names: tuple[str, ...] | None = None) -> Callable[[Any], Any]:
    """One click option per declared setting; None = not given, so env and defaults apply."""

    def decorate(fn: Any) -> Any:
        for setting in reversed(SETTINGS):
            if names is not None and setting.name not in names:
                continue
            kind: Any = type(setting.default) if setting.default != "" else str
            if setting.choices:
                kind = click.Choice(setting.choices, case_sensitive=False)
            fn = click.option(
                setting.flag,
                setting.name,
                default=None,
                type=kind,
                help=f"{setting.help} [default: {setting.default!r}; env {setting.env}]",
            )(fn)
        return fn

    return decorate


@click.group()
@click.version_option(__version__, prog_name="vigil")
def cli() -> None:
    """Vigil: an observability backend that speaks the Sensu Go API."""


@cli.command()
@_setting_options(_STORE_SETTINGS)
@click.option(
    "--cluster-admin-username",
    envvar="VIGIL_CLUSTER_ADMIN_USERNAME",
    required=True,
    help="the first administrator's username [env VIGIL_CLUSTER_ADMIN_USERNAME]",
)
@click.option(
    "--cluster-admin-password",
    envvar="VIGIL_CLUSTER_ADMIN_PASSWORD",
    required=True,
    help="the first administrator's password [env VIGIL_CLUSTER_ADMIN_PASSWORD]",
)
@click.option(
    "--cluster-admin-api-key",
    envvar="VIGIL_CLUSTER_ADMIN_API_KEY",
    default=None,
    help="also create this API key (a UUID) for the administrator",
)
@click.option(
    "--agent-password",
    envvar="VIGIL_AGENT_PASSWORD",
    default=None,
    help="password of the `agent` user (default: Sensu's well-known one; change it)"
    " [env VIGIL_AGENT_PASSWORD]",
)
@click.option(
    "--ignore-already-initialized",
    is_flag=True,
    help="exit 0 when the store is already initialised",
)
def init(
    cluster_admin_username: str,
    cluster_admin_password: str,
    cluster_admin_api_key: str | None,
    agent_password: str | None,
    ignore_already_initialized: bool,
    **flags: Any,
) -> None:
    """Initialise a store: admin user, default namespace, default RBAC."""
    from vigil.bootstrap import AlreadyInitialized, initialize

    settings = Settings.load(flags)
    logs.setup(settings.log_level)
    try:
        asyncio.run(
            initialize(
                settings,
                cluster_admin_username,
                cluster_admin_password,
                cluster_admin_api_key,
                agent_password,
            )
        )
    except AlreadyInitialized as exc:
        if ignore_already_initialized:
            click.echo(str(exc))
            return
        raise click.ClickException(str(exc)) from None
    except VigilError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"store initialised ({settings.store}); admin user: {cluster_admin_username}")


@cli.command()
@_setting_options()
def start(**flags: Any) -> None:
    """Serve the API until SIGINT/SIGTERM; acknowledged writes are committed before answers."""
    from vigil.server import serve

    settings = Settings.load(flags)
    try:
        logs.setup(settings.log_level)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--log-level") from None
    try:
        import uvloop

        uvloop.run(serve(settings))
    except VigilError as exc:
        raise click.ClickException(exc.message) from None


@cli.command()
def version() -> None:
    """Print the Vigil version and the Sensu API version it speaks."""
    click.echo(f"vigil {__version__} (Sensu Go API compatible with {SENSU_COMPAT_VERSION})")


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="vigil")
