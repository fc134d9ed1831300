"""``create_app(settings, store)``: wiring only, no module-level state (STYLE habit 14)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from vigil.api.context import SERVICES, Services
from vigil.api.dispatch import Dispatcher
from vigil.api.middleware import BodyLimit, ErrorsAndMetrics
from vigil.api.namespace_cache import NamespaceCache
from vigil.metrics import Metrics
from vigil.model.common import use_javascript_check
from vigil.pipeline import js
from vigil.settings import Settings
from vigil.store.base import Store
from vigil.store.measured import MeasuredStore

log = logging.getLogger("vigil.app")
SESSION_PURGE_INTERVAL = 60.0


def build_services(settings: Settings, store: Store) -> Services:
    from vigil.agentd.intake import Intake
    from vigil.agentd.notices import EntityNotices
    from vigil.agentd.sessions import AgentRegistry
    from vigil.api import openapi, routes
    from vigil.auth.accounts import AccountChanges
    from vigil.auth.services import build_auth
    from vigil.membership import Membership
    from vigil.pipeline.eventd import EventProcessor
    from vigil.pipeline.jobs import PeriodicJobs
    from vigil.pipeline.keepalive import wire
    from vigil.pipeline.runner import PipelineRunner
    from vigil.rbac.authorizer import Authorizer
    from vigil.schedulerd import CheckScheduler

    # Models declare the JavaScript syntax check; the pipeline's sandbox provides it.
    use_javascript_check(js.first_syntax_error)
    metrics = Metrics()
    # Entity writes are announced to agent sessions on every backend (vigil.agentd.notices),
    # user and API key writes to the authenticator's cache (vigil.auth.accounts).
    notices = EntityNotices(MeasuredStore(store, metrics.store_latency))
    changes = AccountChanges(notices)
    store = changes
    auth = build_auth(store, settings, changes)

    async def lookup(kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        record = await store.get(kind, namespace, name)
        return None if record is None else msgspec.json.decode(record.value)

    pipeline = PipelineRunner(lookup, settings, metrics)
    events = EventProcessor(store, settings, on_stored=pipeline.submit)
    # Failing keepalives and round-robin requests name the store the way Sensu names its own.
    store_name = "postgres" if settings.store == "postgres" else "etcd"
    monitors = wire(store, events, store_name)
    events.watch_with(monitors.keepalives, monitors.check_ttls)
    # Lapsed login sessions are removed by the leader once a minute (a login also clears the
    # user's own), so the session table does not grow with every login.
    purge = (SESSION_PURGE_INTERVAL, auth.tokens.purge_expired_sessions)
    router = routes.build()
    agents = AgentRegistry(store, notices, Intake(store, events, metrics), metrics)
    # The scheduler reaches agents only through the AgentSessions seam.
    scheduler = CheckScheduler(
        store, metrics, js_timeout=settings.js_timeout, ring_source=store_name
    )
    scheduler.attach(agents)
    return Services(
        settings=settings,
        store=store,
        metrics=metrics,
        namespaces=NamespaceCache(store),
        auth=auth,
        authorizer=Authorizer(store),
        events=events,
        pipeline=pipeline,
        jobs=PeriodicJobs(store, settings, events, extra={"session-purge": purge}),
        membership=Membership(
            store, settings.api_listen_address, settings.cluster_heartbeat_interval
        ),
        router=router,
        openapi=openapi.document(router),
        agents=agents,
        scheduler=scheduler,
    )


class VigilApp:
    """The ASGI entry point: every HTTP request goes straight to our pipeline (one route
    table, no framework router scan, no framework exception layers); the lifespan goes to
    Starlette, whose ``state`` carries the services."""

    def __init__(self, starlette: Starlette, api: ASGIApp, agents: ASGIApp) -> None:
        self.starlette = starlette
        self.api = api
        self.state = starlette.state
        self._services: Services = starlette.state.vigil
        self.agents = agents  # the agent listener, served on its own port (vigil.agentd)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["app"] = self.starlette
            scope[SERVICES] = self._services  # what ``vigil.api.context.services`` reads
            await self.api(scope, receive, send)
        else:
            await self.starlette(scope, receive, send)


def create_app(settings: Settings, store: Store, services: Services | None = None) -> VigilApp:
    svc = services or build_services(settings, store)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        from vigil.api.tessen import store_default

        await store_default(svc.store)
        await svc.membership.start()
        await svc.pipeline.start()
        await svc.jobs.start()
        if svc.scheduler is not None:
            await svc.scheduler.start()
        try:
            yield
        finally:
            await svc.membership.stop()
            if svc.scheduler is not None:
                await svc.scheduler.stop()
            await svc.agents.close()
            await svc.jobs.stop()
            await svc.pipeline.stop(drain_timeout=5.0)
            await asyncio.to_thread(js.close)

    app = Starlette(lifespan=lifespan)
    app.state.vigil = svc
    api = ErrorsAndMetrics(BodyLimit(Dispatcher(), settings.api_request_limit), svc.metrics)
    from vigil.agentd.listener import build_listener

    return VigilApp(app, api, build_listener(svc))
