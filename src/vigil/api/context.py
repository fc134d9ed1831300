"""What a request handler can reach: the services ``create_app`` wires together."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request

from vigil.locks import KeyedLocks
from vigil.metrics import Metrics
from vigil.settings import Settings
from vigil.store.base import Store

if TYPE_CHECKING:
    from vigil.agentd.sessions import AgentRegistry
    from vigil.api.namespace_cache import NamespaceCache
    from vigil.api.routes import Router
    from vigil.auth.services import AuthServices
    from vigil.membership import Membership
    from vigil.model.base import Resource
    from vigil.pipeline.eventd import EventProcessor
    from vigil.pipeline.jobs import PeriodicJobs
    from vigil.pipeline.runner import PipelineRunner
    from vigil.rbac.authorizer import Authorizer
    from vigil.schedulerd import CheckScheduler


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    store: Store
    metrics: Metrics
    namespaces: NamespaceCache
    auth: AuthServices
    authorizer: Authorizer
    events: EventProcessor
    pipeline: PipelineRunner
    jobs: PeriodicJobs
    membership: Membership
    router: Router  # every route (vigil.api.routes)
    openapi: bytes  # the OpenAPI document of ``router``, made at start-up
    # The agents connected to this backend (``vigil.agentd.delivery.AgentSessions``).
    agents: AgentRegistry
    # Patches of one resource queue here instead of racing to the store, where all but
    # one would fail the revision check and retry.
    patch_locks: KeyedLocks = field(default_factory=KeyedLocks)
    # The check scheduler (None in apps built without one, e.g. for a single route test).
    scheduler: CheckScheduler | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """What the URL names: the resource type, namespace (None = all) and path values."""

    cls: type[Resource]
    namespace: str | None
    name: str | None
    params: Mapping[str, str]

    @property
    def kind(self) -> str:
        return self.cls.PLURAL


SERVICES = "vigil.services"  # the scope key under which VigilApp hands its services on


def services(request: Request) -> Services:
    svc: Services | None = request.scope.get(SERVICES)
    if svc is None:  # an app other than VigilApp (the agent listener): its state holds them
        svc = request.app.state.vigil
    return svc


def caller(request: Request) -> str:
    """The authenticated username ('' before authentication exists for a route)."""
    identity = request.scope.get("vigil.identity")
    return getattr(identity, "username", "") if identity is not None else ""
