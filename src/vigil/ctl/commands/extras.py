"""Commands specific to one kind: api-key grant/revoke, namespace create, event resolve,
check execute, silenced create."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click

from vigil.ctl.context import CtlContext, pass_ctl
from vigil.ctl.errors import CtlError
from vigil.ctl.kinds import API_PREFIX, find_kind, segment

from .options import confirm_deletion, namespace_option, skip_confirm_option


@click.command("grant", help="Create an API key for USERNAME.")
@click.argument("username")
@pass_ctl
def grant_api_key(ctl: CtlContext, username: str) -> None:
    response = ctl.client().post(f"{API_PREFIX}/apikeys", {"username": username})
    click.echo(f"Created: {response.headers.get('Location', '')}")


@click.command("revoke", help="Revoke an API key.")
@click.argument("key")
@skip_confirm_option
@pass_ctl
def revoke_api_key(ctl: CtlContext, key: str, skip_confirm: bool) -> None:
    if not confirm_deletion(key, skip_confirm):
        click.echo("Canceled")
        return
    ctl.client().delete(f"{API_PREFIX}/apikeys/{segment(key)}")
    click.echo("Deleted")


@click.command("create", help="Create a namespace.")
@click.argument("name")
@pass_ctl
def create_namespace(ctl: CtlContext, name: str) -> None:
    ctl.client().post(f"{API_PREFIX}/namespaces", {"name": name})
    click.echo("Created")


@click.command("resolve", help="Mark an event as resolved (status 0).")
@click.argument("entity")
@click.argument("check")
@namespace_option
@pass_ctl
def resolve_event(ctl: CtlContext, entity: str, check: str, namespace: str | None) -> None:
    kind = find_kind("event")
    assert kind is not None
    path = kind.object_path(ctl.effective_namespace(namespace), entity, check)
    client = ctl.client()
    event = client.get(path)
    now = int(time.time())
    check_body = dict(event.get("check") or {})
    check_body.update(status=0, output="Resolved manually by vigilctl", executed=now)
    event.update(check=check_body, timestamp=now)
    client.put(path, event)
    click.echo("Resolved")


@click.command("execute", help="Request an ad hoc run of a check.")
@click.argument("name")
@click.option(
    "-s", "--subscriptions", default="", help="Comma-separated; replaces the check's own."
)
@click.option("-r", "--reason", default="", help="Why the check is run (recorded with it).")
@namespace_option
@pass_ctl
def execute_check(
    ctl: CtlContext, name: str, subscriptions: str, reason: str, namespace: str | None
) -> None:
    kind = find_kind("check")
    assert kind is not None
    path = kind.object_path(ctl.effective_namespace(namespace), name, "execute")
    subs = [s.strip() for s in subscriptions.split(",") if s.strip()]
    ctl.client().post(path, {"check": name, "subscriptions": subs, "reason": reason})
    click.echo("Issued")


def unix_time(text: str) -> int:
    """sensuctl's ``--begin``: ``0`` (now, on the backend), ``now``, a Unix time, or a time
    like ``Jan 02 2006 3:04PM UTC`` (sensuctl's format) or ISO 8601."""
    text = text.strip()
    if text in ("", "0"):
        return 0
    if text.lower() == "now":
        return int(time.time())
    if text.isdigit():
        return int(text)
    for parse in (
        lambda t: datetime.strptime(t, "%b %d %Y %I:%M%p %Z").replace(tzinfo=UTC),
        datetime.fromisoformat,
    ):
        try:
            return int(parse(text).timestamp())
        except ValueError:
            continue
    raise click.BadParameter(f"invalid time {text!r} (format: Jan 02 2006 3:04PM UTC)")


@click.command("create", help="Create a silenced entry (sensuctl's flags).")
@click.option("-r", "--reason", required=True, help="Reason for the silenced entry.")
@click.option("-x", "--expire-on-resolve", is_flag=True, help="Clear the entry on resolution.")
@click.option("-e", "--expire", type=int, default=-1, help="Expiry in seconds (-1: none).")
@click.option("-s", "--subscription", default="", help="Silence this subscription.")
@click.option("-c", "--check", default="", help="Silence this check.")
@click.option("-b", "--begin", default="0", help="Start: Jan 02 2006 3:04PM MST, or now.")
@namespace_option
@pass_ctl
def create_silenced(
    ctl: CtlContext,
    reason: str,
    expire_on_resolve: bool,
    expire: int,
    subscription: str,
    check: str,
    begin: str,
    namespace: str | None,
) -> None:
    if not check and not subscription:
        raise CtlError("must specify --check or --subscription")
    target = ctl.effective_namespace(namespace)
    body = {
        "metadata": {"namespace": target},
        "subscription": subscription,
        "check": check,
        "reason": reason,
        "expire": expire,
        "expire_on_resolve": expire_on_resolve,
        "begin": unix_time(begin),
    }
    ctl.client().post(f"{API_PREFIX}/namespaces/{segment(target)}/silenced", body)
    click.echo("Created")
