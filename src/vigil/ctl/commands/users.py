"""User commands beyond list/info: create, passwords, disable/reinstate and groups."""

from __future__ import annotations

import base64
import json

import bcrypt
import click

from vigil.ctl.context import CtlContext, pass_ctl
from vigil.ctl.errors import CtlError
from vigil.ctl.kinds import API_PREFIX, segment

from .options import confirm_deletion, skip_confirm_option

BCRYPT_COST = 10


def user_path(username: str, *rest: str) -> str:
    return "/".join([f"{API_PREFIX}/users", segment(username), *(segment(p) for p in rest)])


def hash_password(password: str) -> str:
    """Hash on the client, as sensuctl does, so the new password never travels in clear."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=BCRYPT_COST)).decode()


def token_subject(token: str) -> str:
    """The `sub` claim of a JWT, read without verification (only to name the caller)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(claims.get("sub", ""))
    except (IndexError, ValueError):
        return ""


def current_username(ctl: CtlContext) -> str:
    name = ctl.config.username or token_subject(ctl.config.access_token)
    if not name:
        raise CtlError("no username given and none is configured")
    return name


def add_user_commands(group: click.Group) -> None:
    for command in (
        create_user,
        change_password,
        reset_password,
        hash_password_command,
        set_groups,
        test_creds,
        disable,
        reinstate,
        add_group,
        remove_group,
        remove_groups,
    ):
        group.add_command(command)


interactive_option = click.option(
    "--interactive", is_flag=True, help="Prompt for what the flags leave out."
)


def _value(value: str | None, flag: str, interactive: bool, prompt: str, twice: bool) -> str:
    """sensuctl's rule: flags, or prompts with --interactive; never a silent prompt."""
    if value:
        return value
    if interactive:
        return str(click.prompt(prompt, hide_input=True, confirmation_prompt=twice))
    raise CtlError(f"{flag} is required (or use --interactive)")


def _groups(text: str) -> list[str]:
    return [g.strip() for g in text.split(",") if g.strip()]


@click.command("create", help="Create a user.")
@click.argument("username")
@click.option("-p", "--password", default=None, help="Password.")
@click.option("-g", "--groups", default="", help="Comma-separated groups to assign.")
@interactive_option
@pass_ctl
def create_user(
    ctl: CtlContext, username: str, password: str | None, groups: str, interactive: bool
) -> None:
    body = {
        "username": username,
        "password": _value(password, "--password", interactive, "Password", True),
        "groups": _groups(groups),
        "disabled": False,
    }
    ctl.client().post(f"{API_PREFIX}/users", body)
    click.echo("Created")


@click.command("change-password", help="Change a password (yours when USERNAME is omitted).")
@click.argument("username", required=False)
@click.option("-c", "--current-password", default=None, help="Current password.")
@click.option("-p", "--new-password", default=None, help="New password.")
@interactive_option
@pass_ctl
def change_password(
    ctl: CtlContext,
    username: str | None,
    current_password: str | None,
    new_password: str | None,
    interactive: bool,
) -> None:
    name = username or current_username(ctl)
    current = _value(current_password, "--current-password", interactive, "Current password", False)
    new = _value(new_password, "--new-password", interactive, "New password", True)
    body = {"username": name, "password": current, "password_hash": hash_password(new)}
    ctl.client().put(user_path(name, "password"), body)
    click.echo("Updated")


@click.command("reset-password", help="Set a user's password without knowing the old one.")
@click.argument("username")
@click.option("-p", "--password", "--new-password", "password", default=None, help="New password.")
@interactive_option
@pass_ctl
def reset_password(ctl: CtlContext, username: str, password: str | None, interactive: bool) -> None:
    new = _value(password, "--password", interactive, "New password", True)
    body = {"username": username, "password_hash": hash_password(new)}
    ctl.client().put(user_path(username, "reset_password"), body)
    click.echo("Updated")


@click.command("hash-password", help="Print a bcrypt hash of PASSWORD for `password_hash`.")
@click.argument("password")
def hash_password_command(password: str) -> None:
    click.echo(hash_password(password))


@click.command("set-groups", help="Set the groups of a user (GROUPS: comma-separated).")
@click.argument("username")
@click.argument("groups")
@pass_ctl
def set_groups(ctl: CtlContext, username: str, groups: str) -> None:
    client = ctl.client()  # as sensuctl: remove every group, then add each
    client.delete(user_path(username, "groups"))
    for group in _groups(groups):
        client.request("PUT", user_path(username, "groups", group))
    click.echo("Updated")


@click.command("test-creds", help="Check a username and password against the backend.")
@click.argument("username")
@click.option("-p", "--password", default=None, help="Password.")
@interactive_option
@pass_ctl
def test_creds(ctl: CtlContext, username: str, password: str | None, interactive: bool) -> None:
    secret = _value(password, "--password", interactive, "Password", False)
    ctl.client().test_credentials(username, secret)


@click.command("disable", help="Disable a user (the API has no hard delete).")
@click.argument("username")
@skip_confirm_option
@pass_ctl
def disable(ctl: CtlContext, username: str, skip_confirm: bool) -> None:
    if not confirm_deletion(username, skip_confirm):
        click.echo("Canceled")
        return
    ctl.client().delete(user_path(username))
    click.echo("Disabled")


@click.command("reinstate", help="Re-enable a disabled user.")
@click.argument("username")
@pass_ctl
def reinstate(ctl: CtlContext, username: str) -> None:
    ctl.client().request("PUT", user_path(username, "reinstate"))
    click.echo("Reinstated")


@click.command("add-group", help="Add a user to a group.")
@click.argument("username")
@click.argument("group")
@pass_ctl
def add_group(ctl: CtlContext, username: str, group: str) -> None:
    ctl.client().request("PUT", user_path(username, "groups", group))
    click.echo("Added")


@click.command("remove-group", help="Remove a user from a group.")
@click.argument("username")
@click.argument("group")
@pass_ctl
def remove_group(ctl: CtlContext, username: str, group: str) -> None:
    ctl.client().delete(user_path(username, "groups", group))
    click.echo("Removed")


@click.command("remove-groups", help="Remove a user from every group.")
@click.argument("username")
@pass_ctl
def remove_groups(ctl: CtlContext, username: str) -> None:
    ctl.client().delete(user_path(username, "groups"))
    click.echo("Removed")
