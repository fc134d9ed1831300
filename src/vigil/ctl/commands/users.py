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
        disable,
        reinstate,
        add_group,
        remove_group,
        remove_groups,
    ):
        group.add_command(command)


@click.command("create", help="Create a user.")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--groups", default="", help="Comma-separated group names.")
@pass_ctl
def create_user(ctl: CtlContext, username: str, password: str, groups: str) -> None:
    body = {
        "username": username,
        "password": password,
        "groups": [g.strip() for g in groups.split(",") if g.strip()],
        "disabled": False,
    }
    ctl.client().post(f"{API_PREFIX}/users", body)
    click.echo("Created")


@click.command("change-password", help="Change a password (yours when USERNAME is omitted).")
@click.argument("username", required=False)
@click.option("--current-password", prompt=True, hide_input=True)
@click.option("--new-password", prompt=True, hide_input=True, confirmation_prompt=True)
@pass_ctl
def change_password(
    ctl: CtlContext, username: str | None, current_password: str, new_password: str
) -> None:
    name = username or current_username(ctl)
    body = {
        "username": name,
        "password": current_password,
        "password_hash": hash_password(new_password),
    }
    ctl.client().put(user_path(name, "password"), body)
    click.echo("Password updated")


@click.command("reset-password", help="Set a user's password without knowing the old one.")
@click.argument("username")
@click.option("--new-password", prompt=True, hide_input=True, confirmation_prompt=True)
@pass_ctl
def reset_password(ctl: CtlContext, username: str, new_password: str) -> None:
    body = {"username": username, "password_hash": hash_password(new_password)}
    ctl.client().put(user_path(username, "reset_password"), body)
    click.echo("Password reset")


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
