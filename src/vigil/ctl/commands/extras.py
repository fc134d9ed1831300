"""Commands specific to one kind: api-key grant/revoke, namespace create, event resolve,
check execute."""

from __future__ import annotations

import time

import click

from vigil.ctl.context import CtlContext, pass_ctl
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
@click.option("--subscriptions", default="", help="Comma-separated; replaces the check's own.")
@click.option("--reason", default="", help="Why the check is run (recorded with the request).")
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
