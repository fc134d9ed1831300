"""``vigil-agent start``: sensu-agent's command line, flag for flag where the concept exists."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import Any

import click

from vigil import logs
from vigil.agent.config import AGENT_SETTINGS, AgentConfig, resolve
from vigil.errors import InvalidArgument

log = logging.getLogger("vigil.agent")

_LEVELS = {"panic": "error", "fatal": "error", "error": "error", "warn": "warn"}
_LEVELS |= {"warning": "warn", "info": "info", "debug": "debug", "trace": "debug"}


def _options(func: Any) -> Any:
    for setting in reversed(AGENT_SETTINGS):
        multiple = setting.kind in ("list", "map")
        func = click.option(
            setting.flag,
            setting.attr,
            default=None,
            multiple=multiple,
            is_flag=setting.kind == "bool",
            flag_value=True if setting.kind == "bool" else None,
            help=f"{setting.help} [env {setting.env}]",
        )(func)
    return func


@click.group()
def main() -> None:
    """vigil-agent: runs checks for Vigil or any Sensu Go backend."""


@main.command()
@click.option("--config-file", "-c", default=None, help="path to agent.yml [env SENSU_CONFIG_FILE]")
@_options
def start(config_file: str | None, **given: Any) -> None:
    """Start the agent."""
    flags = {s.name: given[s.attr] for s in AGENT_SETTINGS if given.get(s.attr) not in (None, ())}
    try:
        config = resolve(flags, config_file=config_file)
    except InvalidArgument as exc:
        raise click.UsageError(str(exc)) from None
    logs.setup(_LEVELS.get(str(config.log_level).lower(), "info"))
    try:
        import uvloop

        uvloop.run(run(config))
    except ImportError:  # pragma: no cover - uvloop is a dependency
        asyncio.run(run(config))


@main.command()
def version() -> None:
    """Print the agent version."""
    from vigil.agent.entity import AGENT_VERSION

    click.echo(f"vigil-agent version {AGENT_VERSION}")


async def run(config: AgentConfig) -> None:
    """Everything the agent runs, until SIGINT/SIGTERM."""
    from vigil.agent import inputs
    from vigil.agent.runtime import Agent

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    agent = Agent(config)
    tasks = [asyncio.create_task(agent.run(stop), name="connection")]
    entity = agent.entity.current
    if not config.disable_api:
        app = inputs.api_app(
            agent=config.name,
            namespace=config.namespace,
            entity=entity,
            send=agent.send,
            connected=agent.connected.is_set,
            stats=lambda: {
                **agent.stats,
                "connected": float(agent.connected.is_set()),
                "outbox_events": float(len(agent.outbox)),
                "outbox_dropped": float(agent.outbox.dropped),
            },
        )
        tasks.append(
            asyncio.create_task(inputs.serve_api(app, config.api_host, config.api_port, stop))
        )
    if not config.disable_sockets:
        sockets = inputs.SocketInput(
            agent=config.name, namespace=config.namespace, entity=entity, send=agent.send
        )
        tasks.append(
            asyncio.create_task(
                inputs.run_sockets(sockets, config.socket_host, config.socket_port, stop)
            )
        )
    if not config.statsd_disable:
        tasks.append(
            asyncio.create_task(
                inputs.run_statsd(
                    host=config.statsd_metrics_host,
                    port=config.statsd_metrics_port,
                    interval=config.statsd_flush_interval,
                    handlers=config.statsd_event_handlers,
                    entity=entity,
                    namespace=config.namespace,
                    send=agent.send,
                    stop=stop,
                )
            )
        )
    log.info("agent %s started", config.name)
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                log.error("agent component failed: %s", task.exception())
                stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        agent.close()
        log.info("agent shutting down")


def entry() -> None:
    with contextlib.suppress(KeyboardInterrupt):
        main(sys.argv[1:])
