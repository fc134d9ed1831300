"""`vigilctl configure` (log in and remember the session) and `vigilctl env`."""

from __future__ import annotations

import click

from vigil.ctl.client import ApiClient
from vigil.ctl.config import DEFAULT_FORMAT, DEFAULT_NAMESPACE, DEFAULT_URL, FORMATS, CtlConfig
from vigil.ctl.context import CtlContext, pass_ctl
from vigil.ctl.errors import CtlError

SHELLS = ("bash", "zsh", "fish")


def _ask(
    value: str | None,
    prompt: str,
    flag: str,
    *,
    default: str | None = None,
    interactive: bool,
    hide_input: bool = False,
) -> str:
    """The flag's value, else a prompt (interactive), else the default, else an error."""
    if value:
        return value
    if interactive:
        return str(click.prompt(prompt, default=default, hide_input=hide_input))
    if default is not None:
        return default
    raise CtlError(f"{flag} is required with --non-interactive")


@click.command("configure", help="Log in to the API and store the session.")
@click.option("--url", default=None, help=f"The backend URL (default {DEFAULT_URL}).")
@click.option("--username", default=None, help="Username.")
@click.option("--password", default=None, help="Password.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="Output format.")
@click.option(
    "--non-interactive", "-n", is_flag=True, help="Do not prompt; fail on missing values."
)
@pass_ctl
def configure(
    ctl: CtlContext,
    url: str | None,
    username: str | None,
    password: str | None,
    fmt: str | None,
    non_interactive: bool,
) -> None:
    """As sensuctl's: ``-n`` is ``--non-interactive``; ``--namespace``, ``--timeout``,
    ``--trusted-ca-file`` and ``--insecure-skip-tls-verify`` (global flags) are stored too."""
    interactive = not non_interactive
    previous = ctl.config
    namespace = ctl.namespace
    config = CtlConfig(
        url=_ask(
            url or ctl.url,
            "API URL",
            "--url",
            default=previous.url or DEFAULT_URL,
            interactive=interactive,
        ),
        username=_ask(username, "Username", "--username", interactive=interactive),
        namespace=namespace or previous.namespace or DEFAULT_NAMESPACE,
        format=fmt or previous.format or DEFAULT_FORMAT,
        trusted_ca_file=ctl.trusted_ca_file or "",
        insecure_skip_tls_verify=ctl.insecure_skip_tls_verify,
        timeout=ctl.timeout or previous.timeout,
    )
    secret = _ask(password, "Password", "--password", interactive=interactive, hide_input=True)
    if interactive and namespace is None:
        config.namespace = str(click.prompt("Namespace", default=config.namespace))
    if interactive and fmt is None:
        choice = click.Choice(FORMATS)
        config.format = str(click.prompt("Output format", default=config.format, type=choice))
    client = ApiClient(config, transport=ctl.transport, timeout=config.timeout)
    try:
        client.login(config.username, secret)
    finally:
        client.close()
    path = ctl.save(config)
    click.echo(f"Logged in to {config.url} as {config.username}; settings saved to {path}")


@click.command("logout", help="End the session and forget its tokens.")
@pass_ctl
def logout(ctl: CtlContext) -> None:
    """As sensuctl's: the backend ends the session, then the stored tokens and TLS settings
    are cleared (URL, username, namespace and format stay)."""
    config = ctl.config
    if config.logged_in():
        client = ctl.new_client(config, with_key=False)
        try:
            client.logout()
        finally:
            client.close()
    config.access_token = config.refresh_token = ""
    config.expires_at = 0
    config.trusted_ca_file = ""
    config.insecure_skip_tls_verify = False
    ctl.save(config)
    click.echo("You have been logged out")


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def env_lines(config: CtlConfig, shell: str) -> list[str]:
    """The variables sensuctl exports, in the syntax of `shell`."""
    values = {
        "SENSU_API_URL": config.url,
        "SENSU_NAMESPACE": config.namespace,
        "SENSU_FORMAT": config.format,
        "SENSU_ACCESS_TOKEN": config.access_token,
        "SENSU_ACCESS_TOKEN_EXPIRES_AT": str(config.expires_at),
        "SENSU_REFRESH_TOKEN": config.refresh_token,
        "SENSU_TRUSTED_CA_FILE": config.trusted_ca_file,
        "SENSU_INSECURE_SKIP_TLS_VERIFY": "true" if config.insecure_skip_tls_verify else "false",
    }
    if shell == "fish":
        lines = [f"set -x {key} {_quote(value)};" for key, value in values.items()]
        hint = "# eval (vigilctl env --shell fish)"
    else:
        lines = [f"export {key}={_quote(value)}" for key, value in values.items()]
        flag = "" if shell == "bash" else f" --shell {shell}"
        hint = f"# eval $(vigilctl env{flag})"
    return [*lines, "", "# Run this command to configure your shell:", hint]


@click.command("env", help="Print shell commands exporting the session (like sensuctl env).")
@click.option("--shell", type=click.Choice(SHELLS), default="bash", show_default=True)
@pass_ctl
def env(ctl: CtlContext, shell: str) -> None:
    config = ctl.config
    if not config.logged_in():
        raise CtlError("not logged in: run `vigilctl configure` first")
    if config.token_expired():
        client = ctl.new_client(config, with_key=False)
        try:
            client.refresh()
        finally:
            client.close()
    click.echo("\n".join(env_lines(config, shell)))
